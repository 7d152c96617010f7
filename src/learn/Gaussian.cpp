// Diagonal Gaussians: log-density, KL and per-task noise from counter-based streams.
#include "cezanne/learn/Gaussian.hpp"

#include <numbers>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::learn {

Var gaussian_log_density(const Var& x, const Var& mean, const Var& std) {
  const Var z = (x - mean) / std;
  return -0.5 * std::log(2 * std::numbers::pi) - log(std) - 0.5 * (z * z);
}

Var gaussian_kl(const Var& mean_q, const Var& std_q, const Var& mean_p, const Var& std_p) {
  const Var d = mean_q - mean_p;
  return log(std_p / std_q) + (std_q * std_q + d * d) / (2.0 * (std_p * std_p)) - 0.5;
}

Tensor task_noise(const Shape& rest, uint64_t seed, int64_t step, const std::vector<int64_t>& keys,
                  DType dtype, Device device) {
  std::vector<Tensor> rows;
  for (const int64_t k : keys)
    rows.push_back(Tensor::normal(rest, 0.0, 1.0,
                                  mix_key({seed, static_cast<uint64_t>(step), static_cast<uint64_t>(k)}),
                                  0, dtype, device)
                       .unsqueeze(0));
  return cat(rows, 0);
}

std::vector<int64_t> task_keys(const std::vector<int64_t>& task_indices, int64_t tasks) {
  if (!task_indices.empty()) return task_indices;
  std::vector<int64_t> keys(static_cast<size_t>(tasks));
  for (int64_t t = 0; t < tasks; ++t) keys[static_cast<size_t>(t)] = t;
  return keys;
}

}  // namespace cz::learn
