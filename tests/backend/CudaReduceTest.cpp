// CUDA sum and max against the CPU's, through every launch plan of CudaReduce.cu (a thread, a
// warp or a block per output; two passes for a few huge outputs; rows and strided columns), in
// f32 and f64, with ties, NaN and -inf for max; and the same bits on every run (GPU only).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "CudaCompare.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::testing {
namespace {

struct Case {
  std::string name;
  Shape shape;
  std::vector<int64_t> dims;  // reduced (max: the first)
  std::vector<int64_t> permutation = {};  // a non-contiguous view of the data first
};

// Each case is named after the plan it reaches (K outputs of R elements each).
const std::vector<Case> kCases = {
    {"thread per row (R = 5)", {4096, 5}, {1}},
    {"warp per row (R = 1000)", {300, 1000}, {1}},
    {"block per row, two passes (K = 3, R = 50000)", {3, 50000}, {1}},
    {"one huge sum, two passes (R = 2^20)", {1 << 20}, {0}},
    {"strided columns, two passes (K = 64, R = 20000)", {20000, 64}, {0}},
    {"thread per column (K = 10000)", {100, 10000}, {0}},
    {"two reduced dims of a permuted view", {8, 30, 40}, {0, 2}, {2, 0, 1}},
    {"an empty reduction", {3, 0}, {1}},
};

Tensor view_of(const Case& c, const Tensor& x) { return c.permutation.empty() ? x : x.permute(c.permutation); }

TEST(CudaReduce, SumEqualsTheCpusInEveryPlan) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const Case& c : kCases) {
      const std::string what = c.name + " " + dtype_name(dtype);
      const Tensor data = Tensor::from(random_values(shape_numel(c.shape), 7), c.shape, dtype);
      const Tensor x = view_of(c, data), xg = view_of(c, on_gpu(data));
      const Tensor cpu = sum(x, c.dims, true);
      const std::vector<double> scale = sum(unary(UnaryOp::abs, x), c.dims, true).to_vector();
      // Both accumulate in double: f32 results differ by their rounding at most.
      expect_close(sum(xg, c.dims, true), cpu, scale, dtype == DType::f32 ? 2.5e-7 : 1e-13, what);
    }
  }
}

TEST(CudaReduce, SumOfABroadcastTensor) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  const Tensor row = Tensor::from(random_values(7, 3), {1, 7}, DType::f64);
  const Tensor cpu = sum(row.expand({5000, 7}), {0}, true);
  expect_close(sum(on_gpu(row).expand({5000, 7}), {0}, true), cpu, std::vector<double>(7, 5000.0), 1e-13,
               "stride 0");
}

TEST(CudaReduce, SumGivesTheSameBitsOnEveryRun) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  for (const Shape& shape : std::vector<Shape>{{1 << 20}, {20000, 64}}) {
    const Tensor x = on_gpu(Tensor::from(random_values(shape_numel(shape), 11), shape, DType::f32));
    const std::vector<double> first = sum(x, {0}, true).to(Device::cpu()).to_vector();
    for (int run = 0; run < 5; ++run) EXPECT_EQ(sum(x, {0}, true).to(Device::cpu()).to_vector(), first);
  }
}

TEST(CudaReduce, MaxAndArgmaxEqualTheCpusInEveryPlan) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const Case& c : kCases) {
      if (shape_numel(c.shape) == 0) continue;  // max of nothing is an error above the backend
      const std::string what = c.name + " " + dtype_name(dtype);
      // Four distinct values: every maximum is tied, so the first one must be found.
      std::vector<double> v = random_values(shape_numel(c.shape), 5, -1.0, 1.0, 4);
      v[v.size() / 3] = nan;  // two NaNs, possibly in one output: the first wins
      v[v.size() / 2] = nan;
      v[v.size() - 1] = -inf;
      const Tensor data = Tensor::from(v, c.shape, dtype);
      const int64_t dim = c.dims[0];
      Tensor cpu_index, gpu_index;
      const Tensor cpu = max(view_of(c, data), dim, true, &cpu_index);
      const Tensor gpu = max(view_of(c, on_gpu(data)), dim, true, &gpu_index);
      expect_same(gpu, cpu, what + " values");
      expect_same(gpu_index, cpu_index, what + " indices");
    }
  }
}

TEST(CudaReduce, MaxOfMinusInfinityIsTheFirstElement) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  const Tensor x = Tensor::full({3, 9000}, -std::numeric_limits<double>::infinity(), DType::f64);
  Tensor index;
  const Tensor m = max(on_gpu(x), 1, false, &index);
  EXPECT_EQ(index.to(Device::cpu()).to_vector(), std::vector<double>(3, 0.0));
  EXPECT_EQ(m.to(Device::cpu()).to_vector(), std::vector<double>(3, -std::numeric_limits<double>::infinity()));
}

}  // namespace
}  // namespace cz::testing
