// The meta-test protocol: N held-out episodes, mean accuracy (or MSE) and its 95% interval.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "cezanne/data/EpisodeSource.hpp"
#include "cezanne/dist/Communicator.hpp"
#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn {

/// mean of the per-episode metric and ci95 = 1.96 * std / sqrt(episodes), std the population
/// standard deviation (numpy.std, as the MAML and ProtoNets reference code reports it).
struct EvalResult {
  double mean = 0.0;
  double ci95 = 0.0;
  int64_t episodes = 0;
  std::vector<double> values;  ///< the metric of each episode (or task), in index order
};

struct EvalOptions {
  int64_t episodes = 600;
  /// The step the test episodes are drawn at (episode i is task i of this step).
  int64_t step = 0;
};

/// Summary of per-episode values (empty: all zeros).
EvalResult summarize(const std::vector<double>& values);

/// One episode's metric after predict(): the query accuracy for a classifier, the query mean
/// squared error for a regressor.
double episode_metric(const EpisodicLearner& learner, const nn::ParamList& theta,
                      const data::Episode& episode);

/// The protocol over any per-episode value: rank r of P computes value_of(i) for i in
/// owned_tasks(episodes, r, P), one allreduce gives every rank all values, then summarize().
/// Throws std::invalid_argument on episodes < 1.
EvalResult evaluate_episodes(const std::function<double(int64_t)>& value_of, int64_t episodes,
                             dist::Communicator* comm = nullptr);

/// The baseline every learner must beat: each query image gets the label of the support image
/// nearest in pixel space (squared Euclidean distance; ties: the first). Returns the accuracy.
double nearest_pixels_accuracy(const data::Episode& episode);

/// Runs `episodes` test episodes, episode i = episode_of(i) (i is the global task index), and
/// summarizes their metrics. With a communicator of P ranks, rank r runs owned_tasks(episodes,
/// r, P) and one allreduce of the per-episode values gives every rank the same result, equal
/// to the single-process one. Throws std::invalid_argument on episodes < 1.
EvalResult evaluate(const EpisodicLearner& learner, const nn::ParamList& theta,
                    const std::function<data::Episode(int64_t)>& episode_of, int64_t episodes,
                    dist::Communicator* comm = nullptr);

/// Episodes from a source (normally on Split::test: held-out classes, domains or sinusoids).
EvalResult evaluate(const EpisodicLearner& learner, const nn::ParamList& theta,
                    const data::EpisodeSource& source, EvalOptions options = {},
                    dist::Communicator* comm = nullptr);

}  // namespace cz::learn
