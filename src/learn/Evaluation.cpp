// The meta-test protocol: per-episode metrics, spread over ranks, summarized identically
// everywhere.
#include "cezanne/learn/Evaluation.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "LearnDetail.hpp"
#include "cezanne/dist/TaskPartition.hpp"
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
                      const data::Episode& episode) {
  const Tensor out = learner.predict(theta, episode.support, episode.support_labels, episode.query);
  if (learner.config().loss == Loss::cross_entropy)
    return detail::accuracy(out, episode.query_labels);
  const Tensor d = binary(BinaryOp::sub, out, episode.query_labels.to(out.dtype()));
  return sum(binary(BinaryOp::mul, d, d), {}).item() / static_cast<double>(d.numel());
}

EvalResult evaluate_episodes(const std::function<double(int64_t)>& value_of, int64_t episodes,
                             dist::Communicator* comm) {
  if (episodes < 1)
    throw std::invalid_argument("evaluate: episodes must be >= 1, got " + std::to_string(episodes));
  std::vector<double> values(static_cast<size_t>(episodes), 0.0);
  const int rank = comm ? comm->rank() : 0, world = comm ? comm->size() : 1;
  for (int64_t i : owned_tasks(episodes, rank, world)) values[static_cast<size_t>(i)] = value_of(i);
  // Every value is written by exactly one rank and zero elsewhere, so the sum is exact.
  if (comm && world > 1)
    comm->allreduce(values.data(), values.size(), dist::DataType::f64, dist::ReduceOp::sum);
  return summarize(values);
}

EvalResult evaluate(const EpisodicLearner& learner, const nn::ParamList& theta,
                    const std::function<data::Episode(int64_t)>& episode_of, int64_t episodes,
                    dist::Communicator* comm) {
  return evaluate_episodes(
      [&](int64_t i) { return episode_metric(learner, theta, episode_of(i)); }, episodes, comm);
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

EvalResult evaluate(const EpisodicLearner& learner, const nn::ParamList& theta,
                    const data::EpisodeSource& source, EvalOptions options,
                    dist::Communicator* comm) {
  return evaluate(
      learner, theta, [&](int64_t i) { return source.sample(options.step, i); }, options.episodes,
      comm);
}

}  // namespace cz::learn
