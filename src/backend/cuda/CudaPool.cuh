// The device code of CUDA max-pooling (CudaPool.cu launches it). No CUDA header of its own: nvcc
// compiles it within CudaPool.cu, and tests/backend/CudaEmulation.hpp runs the same kernel on the
// host, on machines without a GPU.
//
// Each window's maximum and its index in the [H * W] plane, one thread per output element (no
// thread writes another's output: deterministic). The window is scanned in the CPU's order with
// its rule: the first maximum, or the first NaN, which ends the scan.
#pragma once

#include <math.h>

#include <cstdint>

#include "CudaLaunch.cuh"

namespace cz::cuda::pool {

template <class T>
__global__ void max_pool2d_kernel(const T* __restrict__ x, T* __restrict__ values,
                                  int64_t* __restrict__ indices, int64_t n, int64_t H, int64_t W,
                                  int64_t Ho, int64_t Wo, int64_t kernel, int64_t stride,
                                  int64_t padding) {
  CZ_CUDA_LOOP(e, n) {
    const int64_t ow = e % Wo, oh = (e / Wo) % Ho, p = e / (Wo * Ho);
    const T* plane = x + p * H * W;
    // The window clipped to the plane (padding is never a candidate, as on the CPU).
    const int64_t ih0 = oh * stride - padding, iw0 = ow * stride - padding;
    const int64_t ki_lo = ih0 < 0 ? -ih0 : 0, ki_hi = kernel < H - ih0 ? kernel : H - ih0;
    const int64_t kj_lo = iw0 < 0 ? -iw0 : 0, kj_hi = kernel < W - iw0 ? kernel : W - iw0;
    T best = -static_cast<T>(INFINITY);
    int64_t best_at = -1;
    bool nan = false;
    for (int64_t ki = ki_lo; ki < ki_hi && !nan; ++ki) {
      const int64_t row = (ih0 + ki) * W + iw0;
      for (int64_t kj = kj_lo; kj < kj_hi; ++kj) {
        const T v = plane[row + kj];
        if (v != v) {
          best = v;
          best_at = row + kj;
          nan = true;
          break;
        }
        if (best_at < 0 || v > best) {
          best = v;
          best_at = row + kj;
        }
      }
    }
    values[e] = best;
    indices[e] = best_at;
  }
}

}  // namespace cz::cuda::pool
