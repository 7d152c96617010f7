// CudaRuntimeStub.cpp — cz::cuda for builds without CUDA: no devices, memory calls and the
// backend throw.
#include "cezanne/backend/CudaRuntime.hpp"
#include "CudaDevices.hpp"

#if !CEZANNE_WITH_CUDA

#include <stdexcept>

namespace cz::cuda {
namespace {

[[noreturn]] void no_cuda(const char* what) {
  throw std::runtime_error(std::string("cz::cuda::") + what + ": cezanne was built without CUDA");
}

}  // namespace

int device_count() { return 0; }
std::string device_name(int) { no_cuda("device_name"); }
int driver_version() { return 0; }
int runtime_version() { return 0; }
void* malloc_device(std::size_t) { no_cuda("malloc_device"); }
void free_device(void* device_ptr) {
  if (device_ptr != nullptr) no_cuda("free_device");
}
void copy_to_host(void*, const void*, std::size_t) { no_cuda("copy_to_host"); }
void copy_to_device(void*, const void*, std::size_t) { no_cuda("copy_to_device"); }
void fill(float*, std::size_t, float, void*) { no_cuda("fill"); }
void synchronize(void*) { no_cuda("synchronize"); }

Backend& backend(int index) {
  throw DeviceError(Device::cuda(index).str() + ": cezanne was built without CUDA");
}

}  // namespace cz::cuda

#endif  // !CEZANNE_WITH_CUDA
