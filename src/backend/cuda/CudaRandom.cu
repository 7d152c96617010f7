// CUDA counter-based random tensors: the kernels are in CudaRandom.cuh.
#include "CudaBackend.cuh"
#include "CudaRandom.cuh"

namespace cz::cuda {

void CudaBackend::random(bool normal, double a, double b, uint64_t seed, uint64_t counter,
                         Tensor& out) {
  const GridLauncher launch{stream()};
  dispatch_floating(out.dtype(), [&](auto tag) {
    random::fill_random<decltype(tag)>(launch, normal, a, b, seed, counter, out);
  });
}

void CudaBackend::dropout_mask(double p, uint64_t seed, uint64_t counter, Tensor& out) {
  const GridLauncher launch{stream()};
  dispatch_floating(out.dtype(), [&](auto tag) {
    random::fill_dropout_mask<decltype(tag)>(launch, p, seed, counter, out);
  });
}

}  // namespace cz::cuda
