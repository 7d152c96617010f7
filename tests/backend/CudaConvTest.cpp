// CudaConvTest.cpp — the CUDA backend's unfold (im2col) and fold (col2im) against the CPU's, bit
// for bit, on the backend interface (kernel sizes, strides, paddings, weight sets, fold adding
// into what the output holds, a grid of more than 65535 blocks), and conv2d with both gradients
// through the interface's composites against the CPU (GPU only).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cezanne/backend/Backend.hpp"
#include "cezanne/backend/CudaRuntime.hpp"
#include "backend/ConvGeometries.hpp"
#include "backend/CudaCompare.hpp"

namespace {

using cz::Device;
using cz::DType;
using cz::Shape;
using cz::Tensor;

using cz::conv_test::Geometry;
using cz::conv_test::geometries;
using cz::testing::expect_same;
using cz::testing::on_gpu;

// unfold copies and fold adds in the CPU's order: the same bits in f32 and f64.
TEST(CudaConv, UnfoldAndFoldGiveTheCpusBits) {
  if (cz::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  cz::Backend& cpu = cz::backend_for(Device::cpu());
  cz::Backend& gpu = cz::backend_for(Device::cuda(0));
  uint64_t seed = 100;
  for (const DType dtype : {DType::f64, DType::f32})
    for (const Geometry& g : geometries()) {
      const std::string what = std::string(cz::dtype_name(dtype)) + " " + g.str();
      const Tensor x = Tensor::uniform(g.image(), -1, 1, ++seed, 0, dtype);
      Tensor cols = Tensor::empty(g.cols(), dtype);
      cpu.unfold(x, g.kh, g.kw, g.stride, g.padding, cols);
      Tensor gpu_cols = Tensor::empty(g.cols(), dtype, Device::cuda(0));
      gpu.unfold(on_gpu(x), g.kh, g.kw, g.stride, g.padding, gpu_cols);
      expect_same(gpu_cols, cols, "unfold " + what);

      // fold adds into the output: start both from the same non-zero image.
      const Tensor y = Tensor::uniform(g.cols(), -1, 1, ++seed, 0, dtype);
      Tensor image = Tensor::uniform(g.image(), -1, 1, ++seed, 0, dtype);
      Tensor gpu_image = on_gpu(image);
      cpu.fold(y, g.kh, g.kw, g.stride, g.padding, image);
      gpu.fold(on_gpu(y), g.kh, g.kw, g.stride, g.padding, gpu_image);
      expect_same(gpu_image, image, "fold " + what);
    }
}

// More elements than 65535 blocks of 256 threads cover at once: the grid-stride loops go round.
TEST(CudaConv, LargeUnfoldAndFoldGiveTheCpusBits) {
  if (cz::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Geometry g{4, 40, 16, 28, 28, 3, 3, 1, 1};  // columns: 18 M elements
  const Tensor x = Tensor::uniform(g.image(), -1, 1, 5);
  const Tensor cols = cz::unfold(x, g.kh, g.kw, g.stride, g.padding);
  ASSERT_GT(cols.numel(), 65535 * 256);
  Tensor gpu_cols = Tensor::empty(g.cols(), DType::f32, Device::cuda(0));
  cz::backend_for(Device::cuda(0)).unfold(on_gpu(x), g.kh, g.kw, g.stride, g.padding, gpu_cols);
  expect_same(gpu_cols, cols, "unfold " + g.str());
  Tensor image = Tensor::zeros(g.image());
  Tensor gpu_image = on_gpu(image);
  cz::backend_for(Device::cpu()).fold(cols, g.kh, g.kw, g.stride, g.padding, image);
  cz::backend_for(Device::cuda(0)).fold(gpu_cols, g.kh, g.kw, g.stride, g.padding, gpu_image);
  expect_same(gpu_image, image, "fold " + g.str());
}

// Largest |gpu - cpu| over the largest |cpu|.
double relative_difference(const Tensor& gpu, const Tensor& cpu) {
  const std::vector<double> g = gpu.to(Device::cpu()).to_vector(), c = cpu.to_vector();
  double diff = 0, scale = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    diff = std::max(diff, std::abs(g[i] - c[i]));
    scale = std::max(scale, std::abs(c[i]));
  }
  return scale == 0 ? diff : diff / scale;
}

// conv2d, its input gradient and its weight gradient on the GPU (unfold/fold and one batched
// GEMM over the weight sets) against the CPU's per-image kernels, with and without the task axis.
TEST(CudaConv, Conv2dAndItsGradientsEqualTheCpus) {
  if (cz::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  uint64_t seed = 300;
  for (const DType dtype : {DType::f64, DType::f32})
    for (const Geometry& g : geometries())
      for (const bool tasks : {false, true}) {
        if (!tasks && g.B != 1) continue;
        const int64_t F = 3;
        const std::string what =
            std::string(cz::dtype_name(dtype)) + " " + g.str() + (tasks ? " task axis" : "");
        const Shape x_shape = tasks ? g.image() : Shape{g.N, g.C, g.H, g.W};
        const Shape w_shape = tasks ? Shape{g.B, F, g.C, g.kh, g.kw} : Shape{F, g.C, g.kh, g.kw};
        const Shape b_shape = tasks ? Shape{g.B, F} : Shape{F};
        const Shape y_shape =
            tasks ? Shape{g.B, g.N, F, g.Ho(), g.Wo()} : Shape{g.N, F, g.Ho(), g.Wo()};
        const Tensor x = Tensor::uniform(x_shape, -1, 1, ++seed, 0, dtype);
        const Tensor w = Tensor::uniform(w_shape, -1, 1, ++seed, 0, dtype);
        const Tensor bias = Tensor::uniform(b_shape, -1, 1, ++seed, 0, dtype);
        const Tensor gy = Tensor::uniform(y_shape, -1, 1, ++seed, 0, dtype);
        const double tolerance = dtype == DType::f64 ? 1e-12 : 1e-5;
        EXPECT_LT(
            relative_difference(cz::conv2d(on_gpu(x), on_gpu(w), on_gpu(bias), g.stride, g.padding),
                                cz::conv2d(x, w, bias, g.stride, g.padding)),
            tolerance)
            << "conv2d " << what;
        EXPECT_LT(relative_difference(
                      cz::conv2d_input_grad(on_gpu(gy), on_gpu(w), x_shape, g.stride, g.padding),
                      cz::conv2d_input_grad(gy, w, x_shape, g.stride, g.padding)),
                  tolerance)
            << "conv2d_input_grad " << what;
        EXPECT_LT(
            relative_difference(
                cz::conv2d_weight_grad(on_gpu(x), on_gpu(gy), g.kh, g.kw, g.stride, g.padding),
                cz::conv2d_weight_grad(x, gy, g.kh, g.kw, g.stride, g.padding)),
            tolerance)
            << "conv2d_weight_grad " << what;
      }
}

}  // namespace
