// PLACEHOLDER (replaced by the helper who owns this file): CUDA convolution.
#include "CudaBackend.cuh"

namespace cz::cuda {

void CudaBackend::unfold(const Tensor&, int64_t, int64_t, int64_t, int64_t, Tensor&) { throw DeviceError("cuda backend: unfold is not written yet"); }
void CudaBackend::fold(const Tensor&, int64_t, int64_t, int64_t, int64_t, Tensor&) { throw DeviceError("cuda backend: fold is not written yet"); }

}  // namespace cz::cuda
