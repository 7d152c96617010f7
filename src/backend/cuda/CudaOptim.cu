// CUDA optimizer updates: the kernels and their per-step constants are in CudaOptim.cuh.
#include "CudaBackend.cuh"
#include "CudaOptim.cuh"

namespace cz::cuda {

void CudaBackend::adam_update(const AdamStep& s, Tensor& p, const Tensor& g, Tensor& m, Tensor& v) {
  const GridLauncher launch{stream()};
  dispatch_floating(p.dtype(),
                    [&](auto tag) { optim::adam<decltype(tag)>(launch, s, p, g, m, v); });
}

void CudaBackend::sgd_update(const SgdStep& s, Tensor& p, const Tensor& g, Tensor& buffer) {
  const GridLauncher launch{stream()};
  dispatch_floating(p.dtype(),
                    [&](auto tag) { optim::sgd<decltype(tag)>(launch, s, p, g, buffer); });
}

}  // namespace cz::cuda
