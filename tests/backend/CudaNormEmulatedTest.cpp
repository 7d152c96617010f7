// The CUDA batch norm kernels (CudaNorm.cuh), run on the host by CudaEmulation.hpp, against the
// CPU backend: statistics, outputs and gradients to 1e-12 (f64) / 1e-5 (f32) of the largest
// value, the fused pool's indices exactly, with ties, NaN, infinity, odd planes, channels longer
// and shorter than a block, blocks that take several (set, channel) pairs, and no images. Runs on
// every machine; on a GPU, CudaExactnessTest runs the kernels themselves.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cezanne/tensor/Ops.hpp"
// After every other header: the emulation defines CUDA's keywords as macros.
#include "backend/CudaEmulation.hpp"
#include "backend/cuda/CudaNorm.cuh"

namespace cz {
namespace {

using cuda::emulation::launch;
using namespace cuda::norm;

/// |actual - expected| <= tolerance * the largest |expected| (NaN where expected has NaN).
void expect_close(const Tensor& actual, const Tensor& expected, const std::string& what) {
  const std::vector<double> a = actual.to_vector(), e = expected.to_vector();
  ASSERT_EQ(a.size(), e.size()) << what;
  double largest = 0;
  for (double v : e)
    if (std::isfinite(v)) largest = std::max(largest, std::abs(v));
  const double tolerance = (expected.dtype() == DType::f32 ? 1e-5 : 1e-12) * largest;
  int differ = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    const bool same = std::isnan(e[i]) ? std::isnan(a[i]) : std::abs(a[i] - e[i]) <= tolerance;
    if (!same && differ++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: " << a[i] << ", the CPU's " << e[i];
  }
}

struct Case {
  Shape x;  // [B, N, C, P] or, fused, [B, N, C, H, W]
  unsigned blocks;
  bool fused, affine, special;  // special: NaN, infinity and integer ties in x
};

// x uniform in [-2, 3) with a third of it rounded to halves (ties in most pooling windows).
Tensor input(const Case& k, DType dtype) {
  std::vector<double> v = Tensor::uniform(k.x, -2, 3, 61, 0, DType::f64).to_vector();
  for (size_t i = 0; i < v.size(); i += 3) v[i] = std::round(v[i] * 2) / 2;
  if (k.special && v.size() > 40) {
    v[5] = NAN;
    v[37] = INFINITY;
    v[38] = -INFINITY;
  }
  return Tensor::from(v, k.x, dtype);
}

template <class T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

template <class T>
void check(const Case& k, DType dtype) {
  const std::string what = shape_str(k.x) + (k.fused ? " fused" : "") +
                           (k.affine ? " affine" : "") + " on " + std::to_string(k.blocks) +
                           " blocks, " + dtype_name(dtype);
  SCOPED_TRACE(what);
  const int64_t B = k.x[0], N = k.x[1], C = k.x[2];
  const Tensor x = input(k, dtype);
  const Tensor gamma = k.affine ? Tensor::uniform({B, C}, -1.5, 1.5, 62, 0, dtype) : Tensor();
  const Tensor beta = k.affine ? Tensor::uniform({B, C}, -1, 1, 63, 0, dtype) : Tensor();
  const double eps = 1e-5;
  const NormGeometry g{B, N, C, x.numel() / std::max<int64_t>(B * N * C, 1)};
  Tensor mean = Tensor::empty({B, C}, dtype), var = Tensor::empty({B, C}, dtype);
  Tensor grad_x = Tensor::empty(k.x, dtype), grad_gamma = Tensor::empty({B, C}, dtype),
         grad_beta = Tensor::empty({B, C}, dtype);
  if (!k.fused) {
    const BatchNormResult cpu = batch_norm(x, gamma, beta, eps, true);
    Tensor y = Tensor::empty(k.x, dtype);
    launch(k.blocks, kNormThreads, batch_norm_kernel<T>, g, x.data<T>(), optional_data<T>(gamma),
           optional_data<T>(beta), eps, y.data<T>(), mean.data<T>(), var.data<T>());
    expect_close(y, cpu.y, "y");
    expect_close(mean, cpu.mean, "mean");
    expect_close(var, cpu.var, "var");
    const Tensor dy = Tensor::uniform(k.x, -1, 1, 64, 0, dtype);
    const BatchNormGrads cpu_grads =
        batch_norm_backward(dy, x, gamma, cpu.mean, cpu.var, eps, true);
    launch(k.blocks, kNormThreads, batch_norm_backward_kernel<T>, g, dy.data<T>(), x.data<T>(),
           optional_data<T>(gamma), cpu.mean.data<T>(), cpu.var.data<T>(), eps, grad_x.data<T>(),
           grad_gamma.data<T>(), grad_beta.data<T>());
    expect_close(grad_x, cpu_grads.x, "grad x");
    expect_close(grad_gamma, cpu_grads.gamma, "grad gamma");
    expect_close(grad_beta, cpu_grads.beta, "grad beta");
    return;
  }
  const int H = static_cast<int>(k.x[3]), W = static_cast<int>(k.x[4]);
  const PoolGeometry pg{H, W, W / 2, (H / 2) * (W / 2)};
  const BatchNormPoolResult cpu = batch_norm_max_pool2d(x, gamma, beta, eps, true);
  Tensor y = Tensor::empty(cpu.y.shape(), dtype),
         indices = Tensor::empty(cpu.y.shape(), DType::i64);
  launch(k.blocks, kNormThreads, batch_norm_max_pool2d_kernel<T>, g, pg, x.data<T>(),
         optional_data<T>(gamma), optional_data<T>(beta), eps, y.data<T>(), indices.data<int64_t>(),
         mean.data<T>(), var.data<T>());
  EXPECT_EQ(indices.to_vector(), cpu.indices.to_vector());
  expect_close(y, cpu.y, "y");
  expect_close(mean, cpu.mean, "mean");
  expect_close(var, cpu.var, "var");
  const Tensor dy = Tensor::uniform(cpu.y.shape(), -1, 1, 64, 0, dtype);
  const BatchNormGrads cpu_grads =
      batch_norm_max_pool2d_backward(dy, cpu.indices, x, gamma, cpu.mean, cpu.var, eps, true);
  launch(k.blocks, kNormThreads, batch_norm_max_pool2d_backward_kernel<T>, g, pg, dy.data<T>(),
         cpu.indices.data<int64_t>(), x.data<T>(), optional_data<T>(gamma), cpu.mean.data<T>(),
         cpu.var.data<T>(), eps, grad_x.data<T>(), grad_gamma.data<T>(), grad_beta.data<T>());
  expect_close(grad_x, cpu_grads.x, "grad x");
  expect_close(grad_gamma, cpu_grads.gamma, "grad gamma");
  expect_close(grad_beta, cpu_grads.beta, "grad beta");
}

// Fewer blocks than pairs in most cases, so that blocks take pairs blockIdx.x + k * gridDim.x.
const std::vector<Case> kCases = {
    {{2, 3, 4, 1}, 8, false, true, false},       // a pair per block, channels of 3
    {{2, 7, 3, 9}, 4, false, false, false},      // Conv4's last block: 9 positions
    {{3, 4, 2, 300}, 4, false, true, false},     // 1200 per channel: runs cross thread strides
    {{1, 2, 2, 700}, 2, false, true, false},     // runs longer than a block
    {{2, 5, 3, 7, 6}, 4, true, true, false},     // odd rows
    {{1, 3, 2, 28, 28}, 2, true, false, false},  // Conv4's first block
    {{2, 2, 2, 5, 9}, 3, true, true, true},      // NaN, infinities, odd columns
    {{1, 0, 2, 4, 4}, 2, true, true, false},     // no images: NaN statistics, as the CPU's
};

TEST(CudaNormEmulated, BatchNormAndTheFusedPoolAreTheCpusF64) {
  for (const Case& k : kCases) check<double>(k, DType::f64);
}

TEST(CudaNormEmulated, BatchNormAndTheFusedPoolAreTheCpusF32) {
  for (const Case& k : kCases) check<float>(k, DType::f32);
}

}  // namespace
}  // namespace cz
