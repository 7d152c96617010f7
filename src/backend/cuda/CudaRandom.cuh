// The device code of the CUDA counter-based random tensors (CudaRandom.cu launches them):
// element i uses Philox block (counter + i) of key `seed` and the very draws the CPU backend runs
// (tensor/Random.hpp says how close the numbers are: uniform draws and dropout masks bit for bit,
// normal draws to the last bits of a double). No CUDA header of its own, so that
// tests/backend/CudaEmulation.hpp runs the same kernels on the host.
#pragma once

#include <cstdint>

#include "CudaLaunch.cuh"
#include "cezanne/tensor/Random.hpp"

namespace cz::cuda::random {

// out's element i (row-major over its shape) is at i when contiguous, else at layout.offset(i).
template <class T>
__global__ void random_kernel(int64_t n, bool normal, double a, double b, Philox philox,
                              uint64_t counter, bool contiguous, Indexer layout, T* out) {
  CZ_CUDA_LOOP(i, n) {
    const double v = random_element(normal, a, b, philox.block(counter + static_cast<uint64_t>(i)));
    out[contiguous ? i : layout.offset(i)] = static_cast<T>(v);
  }
}

template <class T>
__global__ void dropout_mask_kernel(int64_t n, double p, T keep_scale, Philox philox,
                                    uint64_t counter, T* out) {
  CZ_CUDA_LOOP(i, n) {
    out[i] = dropout_keeps(p, philox.block(counter + static_cast<uint64_t>(i))) ? keep_scale : T(0);
  }
}

/// out (any layout) = uniform draws in [a, b) or normal draws of mean a and deviation b:
/// launch(kernel, n, arguments...) runs kernel(n, arguments...) over n elements (CudaRandom.cu on
/// a stream, the emulation on the host); nothing for n = 0.
template <class T, class Launch>
void fill_random(Launch&& launch, bool normal, double a, double b, uint64_t seed, uint64_t counter,
                 Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const bool contiguous = out.is_contiguous();
  const Indexer layout = contiguous ? Indexer{} : indexer(out);
  launch(random_kernel<T>, n, normal, a, b, Philox(seed), counter, contiguous, layout,
         data<T>(out));
}

/// out (contiguous) = a dropout mask of drop probability p, launched as fill_random.
template <class T, class Launch>
void fill_dropout_mask(Launch&& launch, double p, uint64_t seed, uint64_t counter, Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  // The CPU rounds the double 1 / (1 - p) to T the same way.
  const double keep_scale = 1.0 / (1.0 - p);
  launch(dropout_mask_kernel<T>, n, p, static_cast<T>(keep_scale), Philox(seed), counter,
         data<T>(out));
}

}  // namespace cz::cuda::random
