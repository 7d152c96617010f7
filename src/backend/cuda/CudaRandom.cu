// PLACEHOLDER (replaced by the helper who owns this file): CUDA counter-based random tensors.
#include "CudaBackend.cuh"

namespace cz::cuda {

void CudaBackend::random(bool, double, double, uint64_t, uint64_t, Tensor&) { throw DeviceError("cuda backend: random is not written yet"); }
void CudaBackend::dropout_mask(double, uint64_t, uint64_t, Tensor&) { throw DeviceError("cuda backend: dropout_mask is not written yet"); }

}  // namespace cz::cuda
