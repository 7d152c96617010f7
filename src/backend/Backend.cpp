// The backend of each device, and the CPU thread count.
#include "cezanne/backend/Backend.hpp"

#include <omp.h>

#include "check/CheckBackend.hpp"
#include "cpu/CpuBackend.hpp"
#include "cuda/CudaDevices.hpp"

extern "C" void openblas_set_num_threads(int);
#if CEZANNE_BLAS_OPENBLAS
extern "C" char* openblas_get_config(void);
#endif

namespace cz {

Backend::Backend(CachingAllocator::DeviceAllocate allocate, CachingAllocator::DeviceFree free)
    : allocator_(std::move(allocate), std::move(free)) {}

Backend& backend_for(Device device) {
  static cpu::CpuBackend cpu_backend;
  switch (device.type) {
    case DeviceType::cpu:
      return cpu_backend;
    case DeviceType::check:
      return check::backend(device.index);
    case DeviceType::cuda:
      return cuda::backend(device.index);
  }
  throw DeviceError("no backend for device " + device.str());
}

void set_num_threads(int threads) {
  if (threads <= 0) return;
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

void run_kernels_on_this_thread_only() { omp_set_num_threads(1); }

int num_threads() { return omp_get_max_threads(); }

std::string blas_config() {
#if CEZANNE_BLAS_OPENBLAS
  return openblas_get_config();
#else
  return "";
#endif
}

}  // namespace cz
