// Diagonal Gaussians of the amortized learners: log-density, KL divergence and reparameterized
// samples, as differentiable compositions of autograd ops.
#pragma once

#include <cstdint>
#include <vector>

#include "cezanne/autograd/Var.hpp"

namespace cz::learn {

/// Element-wise log N(x; mean, std^2) = -log(2π)/2 - log std - (x - mean)^2 / (2 std^2)
/// (broadcasting as the autograd ops do).
Var gaussian_log_density(const Var& x, const Var& mean, const Var& std);

/// Element-wise KL(N(mean_q, std_q^2) || N(mean_p, std_p^2)) = log(std_p / std_q) +
/// (std_q^2 + (mean_q - mean_p)^2) / (2 std_p^2) - 1/2; sum it over the latent's dimensions for
/// the KL of a diagonal Gaussian.
Var gaussian_kl(const Var& mean_q, const Var& std_q, const Var& mean_p, const Var& std_p);

/// Standard normal noise [T, rest...] of a batch's tasks: row t is Tensor::normal(rest, 0, 1,
/// mix_key({seed, step, task_keys[t]})), so a task's noise depends on its global index, never on
/// its row or on which rank draws it. dtype and device of the result as given.
Tensor task_noise(const Shape& rest, uint64_t seed, int64_t step, const std::vector<int64_t>& task_keys,
                  DType dtype, Device device);

/// The global task index of every row of a batch of `tasks` rows: its task_indices, or 0..T-1
/// when it has none (a batch built by hand).
std::vector<int64_t> task_keys(const std::vector<int64_t>& task_indices, int64_t tasks);

/// The stream of the neural process's predictions (predict, predict_distribution): the noise of
/// one episode's prediction is task_noise(.., seed, kPredictionStream, {0}), the same for every
/// episode.
inline constexpr int64_t kPredictionStream = -1;

/// The stream of a training step's latents sampled from q(. | D_tr) (the neural process's
/// predictive term): -2 - step, apart from the step's own stream (step >= 0) and from
/// kPredictionStream.
constexpr int64_t support_stream(int64_t step) { return -2 - step; }

}  // namespace cz::learn
