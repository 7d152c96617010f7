// The CUDA backend's memory, streams, cuBLAS handle and registry.
#include "CudaBackend.cuh"

#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "CudaDevices.hpp"
#include "CudaIndex.cuh"
#include "cezanne/backend/CudaRuntime.hpp"

namespace cz::cuda {

namespace {

/// Makes `index` the calling thread's current CUDA device.
void use_device(int index) { CZ_CHECK_CUDA(cudaSetDevice(index)); }

}  // namespace

CudaBackend::CudaBackend(int index)
    : Backend(
          [index](size_t bytes) {
            use_device(index);
            void* p = nullptr;
            const cudaError_t status = cudaMalloc(&p, bytes == 0 ? 256 : bytes);
            // Out of memory is bad_alloc: the caching allocator then frees its cache and retries.
            if (status == cudaErrorMemoryAllocation) {
              (void)cudaGetLastError();
              throw std::bad_alloc();
            }
            CZ_CHECK_CUDA(status);
            return p;
          },
          [index](void* ptr, size_t) {
            use_device(index);
            free_device(ptr);
          }),
      index_(index) {
  use_device(index);
}

CudaBackend::~CudaBackend() {
  if (blas_) cublasDestroy(blas_);
}

cudaStream_t CudaBackend::stream() const {
  // Every launch asks for its stream here: making the device current here puts the kernels of
  // cuda:N on GPU N whatever device the calling thread used last (a rank on its GPU, a test on
  // two). Setting the device that is already current is cheap.
  use_device(index_);
  return static_cast<cudaStream_t>(current_stream(device()).handle);
}

cublasHandle_t CudaBackend::blas() {
  if (!blas_) {
    use_device(index_);
    CZ_CHECK_CUBLAS(cublasCreate(&blas_));
  }
  CZ_CHECK_CUBLAS(cublasSetStream(blas_, stream()));
  return blas_;
}

void CudaBackend::memcpy(void* dst, const void* src, size_t bytes, Device dst_device, Device src_device) {
  for (Device d : {dst_device, src_device})
    if (!d.is_cpu() && d != device())
      throw DeviceError("cuda backend of " + device().str() + ": cannot copy between " + src_device.str() +
                        " and " + dst_device.str());
  if (bytes == 0) return;
  use_device(index_);
  const cudaStream_t s = stream();
  CZ_CHECK_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, s));
  // The host may read its side as soon as a copy to the host returns: wait for it. A copy from
  // pageable host memory returns once the driver has staged the source (CUDA's "API
  // synchronization behavior"), so the host may free or reuse it without a wait, and the step's
  // upload of its batch does not stall the device's queue.
  if (dst_device.is_cpu()) {
    CZ_CHECK_CUDA(cudaStreamSynchronize(s));
    raise_index_fault(index_);
  }
}

void CudaBackend::synchronize(const Stream& stream) {
  CZ_CHECK_CUDA(cudaStreamSynchronize(static_cast<cudaStream_t>(stream.handle)));
  raise_index_fault(index_);
}

Backend& backend(int index) {
  static std::mutex mutex;
  static std::vector<std::unique_ptr<CudaBackend>> backends;
  const std::lock_guard<std::mutex> lock(mutex);
  const int count = device_count();
  const std::string name = Device::cuda(index).str();
  if (count == 0) throw DeviceError(name + ": this machine has no CUDA device");
  if (index >= count)
    throw DeviceError(name + ": this machine has " + std::to_string(count) + " CUDA device" +
                      (count == 1 ? "" : "s"));
  if (backends.empty()) backends.resize(static_cast<size_t>(count));
  auto& b = backends[static_cast<size_t>(index)];
  if (!b) b = std::make_unique<CudaBackend>(index);
  return *b;
}

}  // namespace cz::cuda
