// CUDA max_pool2d against the CPU's, bit for bit: Conv4's 2x2 windows on odd planes, overlapping
// padded windows, ties (the first maximum) and NaN (the first NaN), f32 and f64 (GPU only).
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "CudaCompare.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::testing {
namespace {

TEST(CudaPool, MaxPoolEqualsTheCpusBitForBit) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  struct Case {
    Shape shape;
    int64_t kernel, stride, padding;
  };
  const std::vector<Case> cases = {
      {{8, 64, 28, 28}, 2, 2, 0}, {{3, 5, 7, 9}, 2, 2, 0}, {{2, 3, 11, 10}, 3, 2, 1},
      {{2, 6, 6}, 3, 1, 1},       {{4, 5}, 4, 1, 2},
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const Case& c : cases) {
      const std::string what = shape_str(c.shape) + " kernel " + std::to_string(c.kernel) + " stride " +
                               std::to_string(c.stride) + " padding " + std::to_string(c.padding) + " " +
                               dtype_name(dtype);
      std::vector<double> v = random_values(shape_numel(c.shape), 21, -1.0, 1.0, 3);  // ties in most windows
      for (size_t i = 5; i < v.size(); i += 97) v[i] = nan;
      const Tensor x = Tensor::from(v, c.shape, dtype);
      const MaxPoolResult cpu = max_pool2d(x, c.kernel, c.stride, c.padding);
      const MaxPoolResult gpu = max_pool2d(on_gpu(x), c.kernel, c.stride, c.padding);
      expect_same(gpu.values, cpu.values, what + " values");
      expect_same(gpu.indices, cpu.indices, what + " indices");
    }
  }
}

}  // namespace
}  // namespace cz::testing
