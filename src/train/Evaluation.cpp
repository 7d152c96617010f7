// The evaluation protocol: per-episode (per-task) values spread over ranks, summarized
// identically everywhere.
#include "cezanne/train/Evaluation.hpp"

#include <algorithm>
#include <span>
#include <stdexcept>
#include <string>

#include "cezanne/tensor/Ops.hpp"
#include "cezanne/dist/TaskPartition.hpp"

namespace cz::train {

learn::EvalResult evaluate_episodes(const std::function<double(int64_t)>& value_of,
                                    int64_t episodes, dist::Communicator* comm) {
  if (episodes < 1)
    throw std::invalid_argument("evaluate: episodes must be >= 1, got " + std::to_string(episodes));
  std::vector<double> values(static_cast<size_t>(episodes), 0.0);
  const int rank = comm ? comm->rank() : 0, world = comm ? comm->size() : 1;
  for (int64_t i : owned_tasks(episodes, rank, world)) values[static_cast<size_t>(i)] = value_of(i);
  // Every value is written by exactly one rank and zero elsewhere, so the sum is exact.
  if (comm && world > 1)
    comm->allreduce(values.data(), values.size(), dist::DataType::f64, dist::ReduceOp::sum);
  return learn::summarize(values);
}

learn::EvalResult evaluate(const learn::EpisodicLearner& learner, const nn::ParamList& theta,
                           const std::function<data::Episode(int64_t)>& episode_of,
                           int64_t episodes, dist::Communicator* comm) {
  return evaluate_episodes(
      [&](int64_t i) { return learn::episode_metric(learner, theta, episode_of(i)); }, episodes,
      comm);
}

learn::EvalResult evaluate(const learn::EpisodicLearner& learner, const nn::ParamList& theta,
                           const data::EpisodeSource& source, EvalOptions options,
                           dist::Communicator* comm) {
  return evaluate(
      learner, theta, [&](int64_t i) { return source.sample(options.step, i); }, options.episodes,
      comm);
}

std::vector<learn::EvalResult> evaluate_examples(const learn::UnlabelledObjective& objective,
                                                 const nn::ParamList& theta,
                                                 const data::UnlabelledSource& source, int64_t examples,
                                                 uint64_t seed, dist::Communicator* comm,
                                                 const std::function<void()>& before_each) {
  const int64_t n = source.num_examples(), b = objective.evaluation_examples(), count = std::min(examples, n / b);
  if (count < 1)
    throw std::invalid_argument("evaluate: examples must be >= 1, got " + std::to_string(count));
  // One example, or a row of b spread over the split (consecutive examples share a class).
  auto inputs = [&](int64_t i) {
    if (b == 1) return source.example(i * n / count);
    std::vector<Tensor> row;
    for (int64_t j = 0; j < b; ++j) row.push_back(source.example((j * count + i) * n / (count * b)));
    return cz::cat(row, 1);
  };
  const auto metrics = static_cast<int64_t>(objective.metrics().size());
  const int rank = comm ? comm->rank() : 0, world = comm ? comm->size() : 1;
  // Metric m of example i at m * count + i, zero for the examples of other ranks: one sum.
  std::vector<double> values(static_cast<size_t>(metrics * count), 0.0);
  for (const int64_t i : owned_tasks(count, rank, world)) {
    if (before_each) before_each();
    const int64_t index = b == 1 ? i * n / count : i;
    const std::vector<double> m = objective.evaluate(theta, inputs(i).to(theta.front().device()), index, seed);
    for (int64_t k = 0; k < metrics; ++k) values[static_cast<size_t>(k * count + i)] = m[static_cast<size_t>(k)];
  }
  if (comm && world > 1) comm->allreduce_sum(std::span<double>(values));
  std::vector<learn::EvalResult> results;
  for (int64_t k = 0; k < metrics; ++k)
    results.push_back(learn::summarize(std::vector<double>(values.begin() + k * count, values.begin() + (k + 1) * count)));
  return results;
}

PredictiveResult evaluate_predictive(const learn::EpisodicLearner& learner, const nn::ParamList& theta,
                                     const std::function<data::Episode(int64_t)>& episode_of,
                                     int64_t episodes, dist::Communicator* comm) {
  if (episodes < 1)
    throw std::invalid_argument("evaluate: episodes must be >= 1, got " + std::to_string(episodes));
  // Per episode: metric, has_variance, nll, coverage95, then the flat reliability bins.
  constexpr size_t kFixed = 4, kWidth = kFixed + 3 * learn::ReliabilityBins::kBins;
  std::vector<double> values(static_cast<size_t>(episodes) * kWidth, 0.0);
  const int rank = comm ? comm->rank() : 0, world = comm ? comm->size() : 1;
  for (int64_t i : owned_tasks(episodes, rank, world)) {
    const learn::EpisodeScores s = learn::episode_scores(learner, theta, episode_of(i));
    double* row = values.data() + static_cast<size_t>(i) * kWidth;
    row[0] = s.metric;
    row[1] = s.has_variance ? 1.0 : 0.0;
    row[2] = s.nll;
    row[3] = s.coverage95;
    const std::vector<double> bins = s.bins.flat();
    std::copy(bins.begin(), bins.end(), row + kFixed);
  }
  // Every value is written by exactly one rank and zero elsewhere, so the sum is exact.
  if (comm && world > 1) comm->allreduce_sum(std::span<double>(values));
  std::vector<double> metric, nll, coverage;
  PredictiveResult r;
  bool variance = true;
  for (int64_t i = 0; i < episodes; ++i) {
    const double* row = values.data() + static_cast<size_t>(i) * kWidth;
    metric.push_back(row[0]);
    variance = variance && row[1] > 0;
    nll.push_back(row[2]);
    coverage.push_back(row[3]);
    r.bins.add(learn::ReliabilityBins::from_flat(row + kFixed));
  }
  r.metric = learn::summarize(metric);
  if (variance) {
    r.nll = learn::summarize(nll);
    r.coverage95 = learn::summarize(coverage);
  }
  return r;
}

std::vector<learn::TaskAccuracy> evaluate_tasks(const learn::MultiTaskObjective& objective,
                                                const nn::ParamList& theta,
                                                const data::MultiTaskSource& source,
                                                data::Split split, dist::Communicator* comm,
                                                const std::function<void()>& before_each) {
  const int64_t tasks = source.num_tasks();
  const int rank = comm ? comm->rank() : 0, world = comm ? comm->size() : 1;
  // Two values per task (accuracy, examples), zero for the tasks of other ranks: one sum.
  std::vector<double> values(static_cast<size_t>(2 * tasks), 0.0);
  for (const int64_t t : owned_tasks(tasks, rank, world)) {
    if (before_each) before_each();
    const learn::TaskAccuracy a = learn::task_accuracy(objective, theta, source, split, t);
    values[2 * t] = a.accuracy;
    values[2 * t + 1] = static_cast<double>(a.examples);
  }
  if (comm) comm->allreduce_sum(std::span<double>(values));
  std::vector<learn::TaskAccuracy> result(static_cast<size_t>(tasks));
  for (int64_t t = 0; t < tasks; ++t)
    result[t] = {values[2 * t], static_cast<int64_t>(values[2 * t + 1])};
  return result;
}

}  // namespace cz::train
