// CudaRuntime.cu — device queries, raw memory helpers and the fill kernel (CUDA builds only).
#include "cezanne/backend/CudaRuntime.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "backend/cuda/CudaCheck.cuh"

namespace cz::cuda {
namespace {

cudaStream_t as_stream(void* stream) { return static_cast<cudaStream_t>(stream); }

__global__ void fill_kernel(float* __restrict__ out, std::size_t n, float value) {
  // Grid-stride loop: any grid size covers any n.
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    out[i] = value;
  }
}

}  // namespace

int device_count() {
  int count = 0;
  // No driver or no device is an answer (0), not an error: CPU-only nodes run the same binary.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();  // clear the error so later calls do not see it
    return 0;
  }
  return count;
}

std::string device_name(int device) {
  cudaDeviceProp prop{};
  CZ_CHECK_CUDA(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

int driver_version() {
  int version = 0;
  if (cudaDriverGetVersion(&version) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return version;
}

int runtime_version() {
  int version = 0;
  if (cudaRuntimeGetVersion(&version) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return version;
}

void* malloc_device(std::size_t bytes) {
  void* ptr = nullptr;
  CZ_CHECK_CUDA(cudaMalloc(&ptr, bytes));
  return ptr;
}

void free_device(void* device_ptr) {
  if (device_ptr != nullptr) CZ_CHECK_CUDA(cudaFree(device_ptr));
}

void copy_to_host(void* host_dst, const void* device_src, std::size_t bytes) {
  CZ_CHECK_CUDA(cudaMemcpy(host_dst, device_src, bytes, cudaMemcpyDeviceToHost));
}

void copy_to_device(void* device_dst, const void* host_src, std::size_t bytes) {
  CZ_CHECK_CUDA(cudaMemcpy(device_dst, host_src, bytes, cudaMemcpyHostToDevice));
}

void fill(float* device_ptr, std::size_t n, float value, void* stream) {
  if (n == 0) return;
  constexpr int kThreads = 256;
  constexpr std::size_t kMaxBlocks = 65535;
  const auto blocks =
      static_cast<unsigned>(std::min<std::size_t>((n + kThreads - 1) / kThreads, kMaxBlocks));
  fill_kernel<<<blocks, kThreads, 0, as_stream(stream)>>>(device_ptr, n, value);
  CZ_CHECK_CUDA_LAUNCH();
}

void synchronize(void* stream) { CZ_CHECK_CUDA(cudaStreamSynchronize(as_stream(stream))); }

}  // namespace cz::cuda
