// The convolution geometries that the CUDA unfold/fold tests (CudaConvTest on a GPU,
// CudaConvEmulatedTest on the host) compare with the CPU's: kernel sizes 1 to 5, non-square ones,
// strides 1 to 3, paddings 0 to 3 (one larger than the image), several weight sets and images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cezanne/tensor/Tensor.hpp"

namespace cz::conv_test {

struct Geometry {
  int64_t B, N, C, H, W, kh, kw, stride, padding;
  int64_t Ho() const { return (H + 2 * padding - kh) / stride + 1; }
  int64_t Wo() const { return (W + 2 * padding - kw) / stride + 1; }
  Shape image() const { return {B, N, C, H, W}; }
  Shape cols() const { return {B, C * kh * kw, N * Ho() * Wo()}; }
  std::string str() const {
    return "x [" + std::to_string(B) + ", " + std::to_string(N) + ", " + std::to_string(C) + ", " +
           std::to_string(H) + ", " + std::to_string(W) + "] kernel " + std::to_string(kh) + "x" +
           std::to_string(kw) + " stride " + std::to_string(stride) + " padding " +
           std::to_string(padding);
  }
};

inline const std::vector<Geometry>& geometries() {
  static const std::vector<Geometry> all = {
      {1, 1, 1, 5, 5, 3, 3, 1, 1}, {2, 3, 4, 7, 6, 3, 3, 1, 1}, {3, 2, 2, 9, 8, 3, 3, 2, 1},
      {1, 4, 3, 8, 8, 2, 2, 2, 0}, {2, 2, 3, 6, 9, 3, 2, 1, 0}, {1, 3, 2, 7, 7, 5, 5, 3, 2},
      {2, 1, 5, 4, 4, 1, 1, 1, 0}, {1, 2, 2, 3, 3, 3, 3, 1, 3}, {2, 5, 3, 14, 14, 3, 3, 1, 1},
      {1, 1, 2, 4, 5, 4, 5, 1, 0},
  };
  return all;
}

}  // namespace cz::conv_test
