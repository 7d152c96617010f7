// Device kernel of the NCCL backend: the divide step of the averaged allreduce.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "dist/backend/nccl/NcclBackend.hpp"

namespace cz::dist::detail {
namespace {

template <class T>
__global__ void divide_kernel(T* data, size_t count, T divisor) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    data[i] /= divisor;
}

template <class T>
void launch(T* data, size_t count, double divisor, cudaStream_t stream) {
  constexpr unsigned kThreads = 256;
  const size_t blocks = std::min<size_t>((count + kThreads - 1) / kThreads, 65535);
  divide_kernel<T><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(data, count, static_cast<T>(divisor));
  const cudaError_t rc = cudaGetLastError();
  if (rc != cudaSuccess) throw std::runtime_error(std::string("divide kernel: ") + cudaGetErrorString(rc));
}

}  // namespace

void divide_on_device(void* data, size_t count, DataType type, double divisor, void* stream) {
  if (count == 0) return;
  auto s = static_cast<cudaStream_t>(stream);
  switch (type) {
    case DataType::f32: launch(static_cast<float*>(data), count, divisor, s); return;
    case DataType::f64: launch(static_cast<double*>(data), count, divisor, s); return;
    default: throw std::runtime_error(std::string("divide: not a floating type: ") + data_type_name(type));
  }
}

}  // namespace cz::dist::detail
