// CUDA counter-based random tensors: element i uses Philox block (counter + i) of key `seed` and
// the very draws the CPU backend runs (tensor/Random.hpp says how close the numbers are: uniform
// draws and dropout masks bit for bit, normal draws to the last bits of a double).
#include "CudaBackend.cuh"
#include "cezanne/tensor/Random.hpp"

namespace cz::cuda {

namespace {

// out's element i (row-major over its shape) is at i when contiguous, else at layout.offset(i).
template <class T>
__global__ void random_kernel(bool normal, double a, double b, Philox philox, uint64_t counter,
                              int64_t n, bool contiguous, Indexer layout, T* out) {
  CZ_CUDA_LOOP(i, n) {
    const double v = random_element(normal, a, b, philox.block(counter + static_cast<uint64_t>(i)));
    out[contiguous ? i : layout.offset(i)] = static_cast<T>(v);
  }
}

template <class T>
__global__ void dropout_mask_kernel(double p, T keep_scale, Philox philox, uint64_t counter,
                                    int64_t n, T* out) {
  CZ_CUDA_LOOP(i, n) {
    out[i] = dropout_keeps(p, philox.block(counter + static_cast<uint64_t>(i))) ? keep_scale : T(0);
  }
}

}  // namespace

void CudaBackend::random(bool normal, double a, double b, uint64_t seed, uint64_t counter,
                         Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const bool contiguous = out.is_contiguous();
  const Indexer layout = contiguous ? Indexer{} : indexer(out);
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    random_kernel<T><<<blocks_for(n), kThreads, 0, stream()>>>(normal, a, b, Philox(seed), counter,
                                                               n, contiguous, layout, data<T>(out));
    CZ_CHECK_CUDA_LAUNCH();
  });
}

void CudaBackend::dropout_mask(double p, uint64_t seed, uint64_t counter, Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  // The CPU rounds the double 1 / (1 - p) to T the same way.
  const double keep_scale = 1.0 / (1.0 - p);
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    dropout_mask_kernel<T><<<blocks_for(n), kThreads, 0, stream()>>>(
        p, static_cast<T>(keep_scale), Philox(seed), counter, n, data<T>(out));
    CZ_CHECK_CUDA_LAUNCH();
  });
}

}  // namespace cz::cuda
