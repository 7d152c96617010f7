// PCGrad (Yu et al. 2020): project each task's gradient off the gradients it conflicts with, deterministically.
#pragma once

#include <cstdint>
#include <vector>

namespace cz::learn {

/// grads: T rows of P values, row-major, one row per task gradient of the SHARED parameters, in the step's
/// global slot order. For each row i: g_i' = g_i, then for each other row j in a random order (the paper projects
/// in random order): if dot(g_i', g_j) < 0, g_i' -= dot(g_i', g_j) / ||g_j||^2 * g_j (skipped when ||g_j|| = 0).
/// The projection uses the ORIGINAL g_j, as the paper does. Returns the sum over i of g_i' (P values, summed in
/// row order).
///
/// The order of row i is a pure function of (seed, step, i), so every rank and every rank count agree: the other
/// rows in increasing order, shuffled by Fisher-Yates with CounterRng(mix_key({seed, step, i})):
/// for k = T-2 down to 1, swap(order[k], order[rng.below(k + 1)]).
/// *conflicts, when given, is set to the number of projections made. Throws std::invalid_argument, starting
/// "pcgrad: ", for negative sizes or grads.size() != tasks * params.
std::vector<double> pcgrad(const std::vector<double>& grads, int64_t tasks, int64_t params, uint64_t seed,
                           int64_t step, int64_t* conflicts = nullptr);

}  // namespace cz::learn
