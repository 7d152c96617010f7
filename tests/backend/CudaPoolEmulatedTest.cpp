// The CUDA max-pool kernel (CudaPool.cuh), run on the host by CudaEmulation.hpp, against the CPU
// backend: values and indices exactly, with ties, NaN and infinities, padding, overlapping and
// gapped windows, odd planes; on the grid CudaPool.cu launches and on one block, whose threads
// then take several outputs each. Runs on every machine; on a GPU, CudaPoolTest runs the kernel.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cezanne/tensor/Ops.hpp"
#include "backend/CudaCompare.hpp"
// After every other header: the emulation defines CUDA's keywords as macros.
#include "backend/CudaEmulation.hpp"
#include "backend/cuda/CudaPool.cuh"

namespace cz {
namespace {

using testing::expect_same;

using cuda::blocks_for;
using cuda::kThreads;
using cuda::emulation::launch;

struct Case {
  Shape shape;
  int64_t kernel, stride, padding;
};

// Halves in [-2, 3): ties in most windows; NaN (two in a row, so that the first must win) and
// infinities sprinkled in.
Tensor input(const Shape& shape, DType dtype) {
  std::vector<double> v = Tensor::uniform(shape, -2, 3, 81, 0, DType::f64).to_vector();
  for (double& e : v) e = std::round(e * 2) / 2;
  for (size_t i = 5; i < v.size(); i += 97) {
    v[i] = NAN;
    v[i + 1 < v.size() ? i + 1 : i] = NAN;
    v[i - 2] = INFINITY;
    v[i - 4] = -INFINITY;
  }
  return Tensor::from(v, shape, dtype);
}

template <class T>
void check(const Case& k, DType dtype) {
  const Tensor x = input(k.shape, dtype);
  const MaxPoolResult cpu = max_pool2d(x, k.kernel, k.stride, k.padding);
  const int64_t H = x.size(-2), W = x.size(-1), Ho = cpu.indices.size(-2),
                Wo = cpu.indices.size(-1);
  const int64_t n = cpu.indices.numel();
  for (const unsigned blocks : {blocks_for(n), 1u}) {
    SCOPED_TRACE(shape_str(k.shape) + " kernel " + std::to_string(k.kernel) + " stride " +
                 std::to_string(k.stride) + " padding " + std::to_string(k.padding) + " on " +
                 std::to_string(blocks) + " blocks, " + dtype_name(dtype));
    Tensor values = Tensor::empty(cpu.values.shape(), dtype),
           indices = Tensor::empty(cpu.indices.shape(), DType::i64);
    launch(blocks, kThreads, cuda::pool::max_pool2d_kernel<T>, x.data<T>(), values.data<T>(),
           indices.data<int64_t>(), n, H, W, Ho, Wo, k.kernel, k.stride, k.padding);
    expect_same(values, cpu.values);
    EXPECT_EQ(indices.to_vector(), cpu.indices.to_vector());
  }
}

const std::vector<Case> kCases = {
    {{2, 3, 28, 28}, 2, 2, 0},  // Conv4's pooling (the CPU's branch-free 2x2 path)
    {{3, 7, 9}, 2, 2, 0},       // odd rows and columns: the last ones dropped
    {{2, 2, 11, 13}, 3, 2, 1},  // padding: clipped windows at every edge
    {{4, 10, 10}, 3, 1, 1},     // overlapping windows
    {{5, 12, 9}, 2, 3, 0},      // gaps between windows
    {{1, 4, 5}, 4, 4, 2},       // padding of half the kernel: windows mostly outside
    {{6, 6}, 6, 1, 0},          // one window, the whole plane, no leading dims
};

TEST(CudaPoolEmulated, MaxPoolIsTheCpusF64) {
  for (const Case& k : kCases) check<double>(k, DType::f64);
}

TEST(CudaPoolEmulated, MaxPoolIsTheCpusF32) {
  for (const Case& k : kCases) check<float>(k, DType::f32);
}

}  // namespace
}  // namespace cz
