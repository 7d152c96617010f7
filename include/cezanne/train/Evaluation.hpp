// The evaluation protocol across ranks: held-out episodes (or tasks) split by global index, one
// allreduce of their values, the same summary on every rank.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "cezanne/data/EpisodeSource.hpp"
#include "cezanne/data/MultiTaskSource.hpp"
#include "cezanne/data/UnlabelledSource.hpp"
#include "cezanne/dist/Communicator.hpp"
#include "cezanne/learn/EpisodicLearner.hpp"
#include "cezanne/learn/MultiTaskObjective.hpp"
#include "cezanne/learn/TaskEvaluation.hpp"
#include "cezanne/learn/UnlabelledObjective.hpp"

namespace cz::train {

struct EvalOptions {
  int64_t episodes = 600;
  /// The step the test episodes are drawn at (episode i is task i of this step).
  int64_t step = 0;
};

/// The protocol over any per-episode value: rank r of P computes value_of(i) for i in
/// owned_tasks(episodes, r, P), one allreduce gives every rank all values, then
/// learn::summarize(). Throws std::invalid_argument on episodes < 1.
learn::EvalResult evaluate_episodes(const std::function<double(int64_t)>& value_of,
                                    int64_t episodes, dist::Communicator* comm = nullptr);

/// Runs `episodes` test episodes, episode i = episode_of(i) (i is the global task index), and
/// summarizes their metrics (learn::episode_metric). With a communicator of P ranks, rank r runs
/// owned_tasks(episodes, r, P) and one allreduce of the per-episode values gives every rank the
/// same result, equal to the single-process one. Throws std::invalid_argument on episodes < 1.
learn::EvalResult evaluate(const learn::EpisodicLearner& learner, const nn::ParamList& theta,
                           const std::function<data::Episode(int64_t)>& episode_of,
                           int64_t episodes, dist::Communicator* comm = nullptr);

/// Episodes from a source (normally on Split::test: held-out classes, domains or sinusoids).
learn::EvalResult evaluate(const learn::EpisodicLearner& learner, const nn::ParamList& theta,
                           const data::EpisodeSource& source, EvalOptions options = {},
                           dist::Communicator* comm = nullptr);

/// The metrics (objective.metrics()) of `examples` examples of `source`'s split, evenly spaced
/// (example floor(i x n / examples) of its n; all n when examples >= n), each example's noise
/// keyed by (seed, its index in the split). An objective that evaluates rows of b =
/// objective.evaluation_examples() > 1 examples gets `examples` rows (at most n / b): row i holds
/// examples floor((j x rows + i) x n / (rows x b)), j < b, spread over the whole split, and its
/// noise is keyed by i. With a communicator of P ranks, rank r evaluates
/// owned_tasks(count, r, P) and one allreduce gives every rank every value. One EvalResult per
/// metric, its values in example order. `before_each` runs before each of this rank's examples.
std::vector<learn::EvalResult> evaluate_examples(const learn::UnlabelledObjective& objective,
                                                 const nn::ParamList& theta,
                                                 const data::UnlabelledSource& source, int64_t examples,
                                                 uint64_t seed, dist::Communicator* comm,
                                                 const std::function<void()>& before_each = {});

/// The evaluation protocol with the calibration of the predictive distributions
/// (learn::episode_scores): `metric` as evaluate() (the same numbers for the same episodes);
/// for a regressor with a variance, the Gaussian NLL per point and the 95% interval coverage,
/// each a mean over episodes with its ci95 (absent for point estimates); for a classifier, the
/// reliability bins of every query of every episode pooled (their ECE is the protocol's).
struct PredictiveResult {
  learn::EvalResult metric;
  std::optional<learn::EvalResult> nll;
  std::optional<learn::EvalResult> coverage95;
  learn::ReliabilityBins bins;
};

/// As evaluate(), over ranks alike (one allreduce of every episode's scores).
PredictiveResult evaluate_predictive(const learn::EpisodicLearner& learner, const nn::ParamList& theta,
                                     const std::function<data::Episode(int64_t)>& episode_of,
                                     int64_t episodes, dist::Communicator* comm = nullptr);

/// The accuracy of every task of `source` on `split` (learn::task_accuracy). With a
/// communicator of P ranks, rank r evaluates owned_tasks(num_tasks, r, P) and one allreduce
/// gives every rank every task's result, equal to the single-process one. `before_each`, when
/// given, runs before each of this rank's tasks (eval's watchdog).
std::vector<learn::TaskAccuracy> evaluate_tasks(const learn::MultiTaskObjective& objective,
                                                const nn::ParamList& theta,
                                                const data::MultiTaskSource& source,
                                                data::Split split,
                                                dist::Communicator* comm = nullptr,
                                                const std::function<void()>& before_each = {});

}  // namespace cz::train
