// PLACEHOLDER (replaced by the helper who owns this file): CUDA indexing.
#include "CudaBackend.cuh"

namespace cz::cuda {

void CudaBackend::gather(const Tensor&, int64_t, const Tensor&, Tensor&) { throw DeviceError("cuda backend: gather is not written yet"); }
void CudaBackend::scatter_add(int64_t, const Tensor&, const Tensor&, Tensor&) { throw DeviceError("cuda backend: scatter_add is not written yet"); }
void CudaBackend::index_select(const Tensor&, int64_t, const Tensor&, Tensor&) { throw DeviceError("cuda backend: index_select is not written yet"); }
void CudaBackend::index_add(int64_t, const Tensor&, const Tensor&, Tensor&) { throw DeviceError("cuda backend: index_add is not written yet"); }

}  // namespace cz::cuda
