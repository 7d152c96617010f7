// The CUDA unfold (im2col) and fold (col2im) kernels (CudaConv.cuh), run on the host by
// CudaEmulation.hpp on grids too small for their tensors (the grid-stride loops wrap), with
// 32-bit and 64-bit indices, against the CPU backend bit for bit in f64 and f32: unfold copies,
// fold adds into what the output holds in the CPU's order. Runs on every machine; on a GPU,
// CudaConvTest runs the kernels themselves.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/ConvGeometries.hpp"
#include "cezanne/backend/Backend.hpp"
#include "backend/CudaCompare.hpp"
// After every other header: the emulation defines CUDA's keywords as macros.
#include "backend/CudaEmulation.hpp"
#include "backend/cuda/CudaConv.cuh"

namespace cz {
namespace {

using testing::expect_same;

using conv_test::geometries;
using conv_test::Geometry;

template <class T, class I>
void check(DType dtype) {
  Backend& cpu = backend_for(Device::cpu());
  uint64_t seed = 200;
  for (const Geometry& g : geometries()) {
    const std::string what = std::string(dtype_name(dtype)) + ", " +
                             (sizeof(I) == 4 ? "32" : "64") + "-bit indices, " + g.str();
    const cuda::conv::ConvGeometry<int64_t> geometry =
        cuda::conv::geometry(g.image(), g.kh, g.kw, g.stride, g.padding);
    const Tensor x = Tensor::uniform(g.image(), -1, 1, ++seed, 0, dtype);
    Tensor cols = Tensor::full(g.cols(), -9, dtype), expected_cols = Tensor::empty(g.cols(), dtype);
    cuda::conv::unfold<T, I>(cuda::emulation::GridLaunch{}, x, geometry, cols);
    cpu.unfold(x, g.kh, g.kw, g.stride, g.padding, expected_cols);
    expect_same(cols, expected_cols, "unfold " + what);

    // fold adds into the output: both start from the same non-zero image.
    const Tensor y = Tensor::uniform(g.cols(), -1, 1, ++seed, 0, dtype);
    const Tensor start = Tensor::uniform(g.image(), -1, 1, ++seed, 0, dtype);
    Tensor image = start.clone(), expected_image = start.clone();
    cuda::conv::fold<T, I>(cuda::emulation::GridLaunch{}, y, geometry, image);
    cpu.fold(y, g.kh, g.kw, g.stride, g.padding, expected_image);
    expect_same(image, expected_image, "fold " + what);
  }
}

TEST(CudaConvEmulated, UnfoldAndFoldAreTheCpusF64) {
  check<double, int32_t>(DType::f64);
  check<double, int64_t>(DType::f64);
}

TEST(CudaConvEmulated, UnfoldAndFoldAreTheCpusF32) {
  check<float, int32_t>(DType::f32);
  check<float, int64_t>(DType::f32);
}

TEST(CudaConvEmulated, IndicesAre32BitWhileEveryIndexFits) {
  const Geometry small{2, 5, 3, 14, 14, 3, 3, 1, 1};
  const cuda::conv::ConvGeometry<int64_t> g =
      cuda::conv::geometry(small.image(), small.kh, small.kw, small.stride, small.padding);
  EXPECT_TRUE(cuda::conv::fits_int32(g, Tensor::empty(small.image()), Tensor::empty(small.cols())));
  // Columns of 2^31 elements (not allocated: an expanded scalar has their shape).
  const Geometry large{1, 2048, 16, 256, 256, 1, 1, 1, 0};
  const cuda::conv::ConvGeometry<int64_t> gl =
      cuda::conv::geometry(large.image(), large.kh, large.kw, large.stride, large.padding);
  const Tensor big = Tensor::full({1, 1, 1}, 0).expand(large.cols());
  EXPECT_FALSE(cuda::conv::fits_int32(gl, big, big));
}

}  // namespace
}  // namespace cz
