// PLACEHOLDER (replaced by the helper who owns this file): CUDA element-wise kernels.
#include "CudaBackend.cuh"

namespace cz::cuda {

void CudaBackend::copy(const Tensor&, Tensor&) { throw DeviceError("cuda backend: copy is not written yet"); }
void CudaBackend::fill(Tensor&, double) { throw DeviceError("cuda backend: fill is not written yet"); }
void CudaBackend::unary(UnaryOp, const Tensor&, Tensor&) { throw DeviceError("cuda backend: unary is not written yet"); }
void CudaBackend::binary(BinaryOp, const Tensor&, const Tensor&, Tensor&) { throw DeviceError("cuda backend: binary is not written yet"); }
void CudaBackend::affine(const Tensor&, double, double, Tensor&) { throw DeviceError("cuda backend: affine is not written yet"); }
void CudaBackend::pow_scalar(const Tensor&, double, Tensor&) { throw DeviceError("cuda backend: pow_scalar is not written yet"); }
void CudaBackend::clamp(const Tensor&, double, double, Tensor&) { throw DeviceError("cuda backend: clamp is not written yet"); }
void CudaBackend::in_range_mask(const Tensor&, double, double, Tensor&) { throw DeviceError("cuda backend: in_range_mask is not written yet"); }
void CudaBackend::where(const Tensor&, const Tensor&, const Tensor&, Tensor&) { throw DeviceError("cuda backend: where is not written yet"); }

}  // namespace cz::cuda
