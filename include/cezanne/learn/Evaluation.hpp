// Evaluation metrics: one episode's metric, the pixel baseline, mean and 95% interval of many.
#pragma once

#include <cstdint>
#include <vector>

#include "cezanne/data/Episode.hpp"
#include "cezanne/learn/Calibration.hpp"
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

/// Summary of per-episode values (empty: all zeros).
EvalResult summarize(const std::vector<double>& values);

/// One episode's metric after predict(): the query accuracy for a classifier, the query mean
/// squared error for a regressor; the episode is moved to the parameters' device first.
double episode_metric(const EpisodicLearner& learner, const nn::ParamList& theta,
                      const data::Episode& episode);

/// One episode's scores of the predictive distribution (predict_distribution): the metric of
/// episode_metric (accuracy of the most probable class, or MSE of the mean); for a regressor with
/// a variance the mean Gaussian NLL per query point and the fraction of query points inside the
/// central 95% interval (has_variance; NaN otherwise); for a classifier its reliability bins.
struct EpisodeScores {
  double metric = 0.0;
  bool has_variance = false;
  double nll = 0.0;
  double coverage95 = 0.0;
  ReliabilityBins bins;
};

/// The scores of one episode, moved to the parameters' device first.
EpisodeScores episode_scores(const EpisodicLearner& learner, const nn::ParamList& theta,
                             const data::Episode& episode);

/// The baseline every learner must beat: each query image gets the label of the support image
/// nearest in pixel space (squared Euclidean distance; ties: the first). Returns the accuracy.
double nearest_pixels_accuracy(const data::Episode& episode);

}  // namespace cz::learn
