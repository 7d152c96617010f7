// Helpers of the CUDA kernel tests: host data with chosen ties and NaNs, copies to and from the
// GPU, and comparisons with the CPU's results (bit for bit, or to a tolerance).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cezanne/backend/CudaRuntime.hpp"
#include "cezanne/tensor/Tensor.hpp"

namespace cz::testing {

inline bool have_gpu() { return cuda::device_count() > 0; }

inline Tensor on_gpu(const Tensor& t) { return t.to(Device::cuda(0)); }

/// n uniform values in [low, high); with `levels` > 0 rounded down to that many distinct values
/// (ties everywhere).
inline std::vector<double> random_values(int64_t n, uint32_t seed, double low = -1.0, double high = 1.0,
                                         int levels = 0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) {
    const double t = u(gen);
    x = levels > 0 ? low + (high - low) * std::floor(t * levels) / levels : low + (high - low) * t;
  }
  return v;
}

/// n indices in [0, size).
inline std::vector<int64_t> random_indices(int64_t n, int64_t size, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int64_t> u(0, size - 1);
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t& x : v) x = u(gen);
  return v;
}

/// gpu (any device, or the host emulation's output) equals cpu element for element: the same
/// numbers, NaN where cpu has NaN.
inline void expect_same(const Tensor& gpu, const Tensor& cpu, const std::string& what = "") {
  ASSERT_EQ(gpu.shape(), cpu.shape()) << what;
  ASSERT_EQ(gpu.dtype(), cpu.dtype()) << what;
  const std::vector<double> g = gpu.to(Device::cpu()).to_vector(), c = cpu.to_vector();
  for (size_t i = 0; i < c.size(); ++i) {
    if (std::isnan(c[i])) {
      ASSERT_TRUE(std::isnan(g[i])) << what << " at " << i;
    } else {
      ASSERT_EQ(g[i], c[i]) << what << " at " << i;
    }
  }
}

/// |gpu - cpu| <= tolerance * scale[i] element for element.
inline void expect_close(const Tensor& gpu, const Tensor& cpu, const std::vector<double>& scale, double tolerance,
                         const std::string& what) {
  ASSERT_EQ(gpu.shape(), cpu.shape()) << what;
  const std::vector<double> g = gpu.to(Device::cpu()).to_vector(), c = cpu.to_vector();
  for (size_t i = 0; i < c.size(); ++i)
    ASSERT_LE(std::abs(g[i] - c[i]), tolerance * scale[i]) << what << " at " << i << ": " << g[i] << " vs " << c[i];
}

}  // namespace cz::testing
