// Sinusoid regression tasks from a counter-based stream per (seed, split, step, task).
#include "cezanne/learn/SinusoidTasks.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "cezanne/tensor/Random.hpp"

namespace cz::learn {

SinusoidTasks::SinusoidTasks(SinusoidSpec spec, uint64_t seed, data::Split split)
    : spec_(spec), seed_(seed), split_(split) {
  if (spec_.shots < 1 || spec_.queries < 1)
    throw std::invalid_argument("SinusoidTasks: shots and queries must be >= 1, got " +
                                std::to_string(spec_.shots) + " and " +
                                std::to_string(spec_.queries));
  if (!(spec_.amplitude_low <= spec_.amplitude_high) || !(spec_.phase_low <= spec_.phase_high) ||
      !(spec_.x_low < spec_.x_high))
    throw std::invalid_argument("SinusoidTasks: a range is inverted or empty");
}

nn::MLP SinusoidTasks::model() { return nn::MLP({1, 40, 40, 1}, nn::Activation::relu); }

SinusoidTask SinusoidTasks::task(int64_t step, int64_t task_index) const {
  CounterRng rng(mix_key({seed_, static_cast<uint64_t>(split_), static_cast<uint64_t>(step),
                          static_cast<uint64_t>(task_index)}));
  SinusoidTask t;
  t.amplitude = rng.uniform(spec_.amplitude_low, spec_.amplitude_high);
  t.phase = rng.uniform(spec_.phase_low, spec_.phase_high);
  return t;
}

void SinusoidTasks::fill(int64_t step, int64_t task_index, float* sx, float* sy, float* qx,
                         float* qy) const {
  CounterRng rng(mix_key({seed_, static_cast<uint64_t>(split_), static_cast<uint64_t>(step),
                          static_cast<uint64_t>(task_index)}));
  const double amplitude = rng.uniform(spec_.amplitude_low, spec_.amplitude_high);
  const double phase = rng.uniform(spec_.phase_low, spec_.phase_high);
  auto draw = [&](float* x, float* y, int n) {
    for (int i = 0; i < n; ++i) {
      const double v = rng.uniform(spec_.x_low, spec_.x_high);
      x[i] = static_cast<float>(v);
      y[i] = static_cast<float>(amplitude * std::sin(v - phase));
    }
  };
  draw(sx, sy, spec_.shots);
  draw(qx, qy, spec_.queries);
}

data::Episode SinusoidTasks::sample(int64_t step, int64_t task_index) const {
  data::Episode e;
  e.support = Tensor::empty({spec_.shots, 1});
  e.support_labels = Tensor::empty({spec_.shots, 1});
  e.query = Tensor::empty({spec_.queries, 1});
  e.query_labels = Tensor::empty({spec_.queries, 1});
  fill(step, task_index, e.support.data<float>(), e.support_labels.data<float>(),
       e.query.data<float>(), e.query_labels.data<float>());
  e.task_index = task_index;
  return e;
}

data::EpisodeBatch SinusoidTasks::sample_batch(int64_t step,
                                               const std::vector<int64_t>& task_indices) const {
  const int64_t tasks = static_cast<int64_t>(task_indices.size()), k = spec_.shots,
                q = spec_.queries;
  data::EpisodeBatch b;
  b.support = Tensor::empty({tasks, k, 1});
  b.support_labels = Tensor::empty({tasks, k, 1});
  b.query = Tensor::empty({tasks, q, 1});
  b.query_labels = Tensor::empty({tasks, q, 1});
  for (int64_t t = 0; t < tasks; ++t)
    fill(step, task_indices[static_cast<size_t>(t)], b.support.data<float>() + t * k,
         b.support_labels.data<float>() + t * k, b.query.data<float>() + t * q,
         b.query_labels.data<float>() + t * q);
  b.task_indices = task_indices;
  b.step = step;
  return b;
}

}  // namespace cz::learn
