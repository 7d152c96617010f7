// Backend registry and CPU thread count.
#include "cezanne/backend/Backend.hpp"

#include <omp.h>

#include <array>

#include "check/CheckBackend.hpp"
#include "cpu/CpuBackend.hpp"

extern "C" void openblas_set_num_threads(int);
#if CEZANNE_BLAS_OPENBLAS
extern "C" char* openblas_get_config(void);
#endif

namespace cz {

Backend::Backend(CachingAllocator::DeviceAllocate allocate, CachingAllocator::DeviceFree free)
    : allocator_(std::move(allocate), std::move(free)) {}

namespace {

std::array<Backend*, kDeviceTypes>& registry() {
  static cpu::CpuBackend cpu_backend;
  static std::array<Backend*, kDeviceTypes> backends{&cpu_backend, nullptr, nullptr};
  return backends;
}

}  // namespace

Backend& backend_for(Device device) {
  if (device.type == DeviceType::check) return check::backend(device.index);
  Backend* b = registry()[static_cast<size_t>(device.type)];
  if (!b) throw DeviceError("no backend for device " + device.str() + " in this build");
  return *b;
}

void register_backend(DeviceType type, Backend* backend) { registry()[static_cast<size_t>(type)] = backend; }

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
