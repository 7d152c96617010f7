// The CUDA random kernels (CudaRandom.cuh), run on the host by CudaEmulation.hpp on a grid too
// small for the tensor (the grid-stride loop wraps), against the CPU backend: uniform and normal
// draws into contiguous and strided outputs (element i of the row-major order takes Philox block
// counter + i wherever it lives) and dropout masks, in f64 and f32. The host runs the same draws
// (tensor/Random.hpp) as the CPU, so the numbers must be the CPU's bit for bit. Runs on every
// machine.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cezanne/backend/Backend.hpp"
#include "backend/CudaCompare.hpp"
// After every other header: the emulation defines CUDA's keywords as macros.
#include "backend/CudaEmulation.hpp"
#include "backend/cuda/CudaRandom.cuh"

namespace cz {
namespace {

using testing::expect_same;

/// A NaN-filled output of shape [4, 6, 5], contiguous or transposed (so that an element the
/// kernel skips shows).
Tensor output(bool contiguous, DType dtype) {
  return contiguous ? Tensor::full({4, 6, 5}, NAN, dtype)
                    : Tensor::full({5, 6, 4}, NAN, dtype).permute({2, 1, 0});
}

template <class T>
void check(DType dtype) {
  Backend& cpu = backend_for(Device::cpu());
  for (const bool normal : {false, true})
    for (const bool contiguous : {true, false}) {
      const std::string what = std::string(dtype_name(dtype)) + (normal ? " normal" : " uniform") +
                               (contiguous ? ", contiguous" : ", transposed");
      Tensor actual = output(contiguous, dtype), expected = output(contiguous, dtype);
      cuda::random::fill_random<T>(cuda::emulation::GridLaunch{}, normal, -0.5, 2, 91, 1u << 20, actual);
      cpu.random(normal, -0.5, 2, 91, 1u << 20, expected);
      expect_same(actual, expected, what);
    }
  for (const double p : {0.0, 0.3, 0.9}) {
    Tensor actual = output(true, dtype), expected = output(true, dtype);
    cuda::random::fill_dropout_mask<T>(cuda::emulation::GridLaunch{}, p, 92, 7, actual);
    cpu.dropout_mask(p, 92, 7, expected);
    expect_same(actual, expected, std::string(dtype_name(dtype)) + " dropout " + std::to_string(p));
  }
}

TEST(CudaRandomEmulated, DrawsAndDropoutMasksAreTheCpusF64) { check<double>(DType::f64); }
TEST(CudaRandomEmulated, DrawsAndDropoutMasksAreTheCpusF32) { check<float>(DType::f32); }

}  // namespace
}  // namespace cz
