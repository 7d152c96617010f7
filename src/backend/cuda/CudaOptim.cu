// PLACEHOLDER (replaced by the helper who owns this file): CUDA optimizer updates.
#include "CudaBackend.cuh"

namespace cz::cuda {

void CudaBackend::adam_update(const AdamStep&, Tensor&, const Tensor&, Tensor&, Tensor&) { throw DeviceError("cuda backend: adam_update is not written yet"); }
void CudaBackend::sgd_update(const SgdStep&, Tensor&, const Tensor&, Tensor&) { throw DeviceError("cuda backend: sgd_update is not written yet"); }

}  // namespace cz::cuda
