// PCGrad: sequential projections in a keyed random order, summed in row order, so every rank gets the same bits.
#include "cezanne/learn/GradientSurgery.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "cezanne/tensor/Random.hpp"

namespace cz::learn {
namespace {

double dot(const double* a, const double* b, int64_t n) {
  double s = 0.0;
  for (int64_t k = 0; k < n; ++k) s += a[k] * b[k];
  return s;
}

}  // namespace

std::vector<double> pcgrad(const std::vector<double>& grads, int64_t tasks, int64_t params, uint64_t seed,
                           int64_t step, int64_t* conflicts) {
  if (tasks < 0 || params < 0)
    throw std::invalid_argument("pcgrad: tasks and params must be >= 0, got " + std::to_string(tasks) + " and " +
                                std::to_string(params));
  if (static_cast<int64_t>(grads.size()) != tasks * params)
    throw std::invalid_argument("pcgrad: expected tasks * params = " + std::to_string(tasks) + " * " +
                                std::to_string(params) + " values, got " + std::to_string(grads.size()));
  std::vector<double> norm2(tasks);
  for (int64_t j = 0; j < tasks; ++j) norm2[j] = dot(&grads[j * params], &grads[j * params], params);
  std::vector<double> sum(params, 0.0), g(params);
  std::vector<int64_t> order;
  int64_t projections = 0;
  for (int64_t i = 0; i < tasks; ++i) {
    order.clear();
    for (int64_t j = 0; j < tasks; ++j)
      if (j != i) order.push_back(j);
    CounterRng rng(mix_key({seed, static_cast<uint64_t>(step), static_cast<uint64_t>(i)}));
    for (int64_t k = static_cast<int64_t>(order.size()) - 1; k >= 1; --k)
      std::swap(order[k], order[rng.below(static_cast<uint64_t>(k + 1))]);
    const double* gi = &grads[i * params];
    std::copy(gi, gi + params, g.begin());
    for (int64_t j : order) {
      if (norm2[j] == 0.0) continue;
      const double* gj = &grads[j * params];
      const double d = dot(g.data(), gj, params);
      if (!(d < 0.0)) continue;
      const double c = d / norm2[j];
      for (int64_t k = 0; k < params; ++k) g[k] -= c * gj[k];
      ++projections;
    }
    for (int64_t k = 0; k < params; ++k) sum[k] += g[k];
  }
  if (conflicts) *conflicts = projections;
  return sum;
}

}  // namespace cz::learn
