// Backend registry and CPU thread count.
#include "cezanne/backend/Backend.hpp"

#include <omp.h>

#include <array>

#include "cpu/CpuBackend.hpp"

extern "C" void openblas_set_num_threads(int);

namespace cz {

namespace {

std::array<Backend*, 2>& registry() {
  static cpu::CpuBackend cpu_backend;
  static std::array<Backend*, 2> backends{&cpu_backend, nullptr};
  return backends;
}

}  // namespace

Backend& backend_for(Device device) {
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

}  // namespace cz
