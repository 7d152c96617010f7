// Evaluation metrics: per-episode metrics, the pixel baseline, and their summary.
#include "cezanne/learn/Evaluation.hpp"

#include <cmath>
#include <limits>

#include "LearnDetail.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {

EvalResult summarize(const std::vector<double>& values) {
  EvalResult r;
  r.episodes = static_cast<int64_t>(values.size());
  if (values.empty()) return r;
  const double n = static_cast<double>(values.size());
  double sum = 0.0;
  for (double v : values) sum += v;
  r.mean = sum / n;
  double squares = 0.0;
  for (double v : values) squares += (v - r.mean) * (v - r.mean);
  r.ci95 = 1.96 * std::sqrt(squares / n) / std::sqrt(n);
  r.values = values;
  return r;
}

double episode_metric(const EpisodicLearner& learner, const nn::ParamList& theta,
                      const data::Episode& host) {
  const data::Episode episode = host.to(theta.empty() ? Device::cpu() : theta[0].data().device());
  const Tensor out = learner.predict(theta, episode.support, episode.support_labels, episode.query);
  if (learner.config().loss == Loss::cross_entropy)
    return detail::accuracy(out, episode.query_labels);
  const Tensor d = binary(BinaryOp::sub, out, episode.query_labels.to(out.dtype()));
  return sum(binary(BinaryOp::mul, d, d), {}).item() / static_cast<double>(d.numel());
}

EpisodeScores episode_scores(const EpisodicLearner& learner, const nn::ParamList& theta,
                             const data::Episode& host) {
  const data::Episode episode = host.to(theta.empty() ? Device::cpu() : theta[0].data().device());
  const Predictive p =
      learner.predict_distribution(theta, episode.support, episode.support_labels, episode.query);
  EpisodeScores scores;
  if (learner.config().loss == Loss::cross_entropy) {
    scores.metric = detail::accuracy(p.probabilities, episode.query_labels);
    scores.bins.add(p.probabilities, episode.query_labels);
    return scores;
  }
  const Tensor target = episode.query_labels.to(p.mean.dtype());
  const Tensor d = binary(BinaryOp::sub, p.mean, target);
  scores.metric = sum(binary(BinaryOp::mul, d, d), {}).item() / static_cast<double>(d.numel());
  scores.has_variance = p.variance.defined();
  if (scores.has_variance) {
    scores.nll = gaussian_nll(p.mean, p.variance, target);
    scores.coverage95 = coverage95(p.mean, p.variance, target);
  }
  return scores;
}

double nearest_pixels_accuracy(const data::Episode& episode) {
  const Tensor support = episode.support.contiguous(), query = episode.query.contiguous();
  const int64_t n = support.size(0), q = query.size(0), d = support.numel() / n;
  const float* s = support.data<float>();
  const float* x = query.data<float>();
  const int64_t* support_labels = episode.support_labels.contiguous().data<int64_t>();
  const int64_t* query_labels = episode.query_labels.contiguous().data<int64_t>();
  int64_t correct = 0;
  for (int64_t i = 0; i < q; ++i) {
    double best = std::numeric_limits<double>::infinity();
    int64_t label = -1;
    for (int64_t j = 0; j < n; ++j) {
      double distance = 0.0;
      for (int64_t k = 0; k < d; ++k) {
        const double diff = static_cast<double>(x[i * d + k]) - s[j * d + k];
        distance += diff * diff;
      }
      if (distance < best) {
        best = distance;
        label = support_labels[j];
      }
    }
    correct += label == query_labels[i] ? 1 : 0;
  }
  return static_cast<double>(correct) / static_cast<double>(q);
}

}  // namespace cz::learn
