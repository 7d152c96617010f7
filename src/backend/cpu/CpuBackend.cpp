// CPU backend: aligned host memory, and its registration.
#include "CpuBackend.hpp"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace cz::cpu {

void* host_allocate(size_t bytes) {
  void* p = std::aligned_alloc(64, bytes == 0 ? 64 : (bytes + 63) / 64 * 64);
  if (!p) throw std::bad_alloc();
  return p;
}

void host_free(void* ptr, size_t) { std::free(ptr); }

CpuBackend::CpuBackend() : Backend(host_allocate, host_free) {
  // Training allocates and frees the same large activation buffers every step. glibc serves
  // blocks above its mmap threshold with fresh mappings, so every step would pay page faults
  // and kernel zeroing for them; keeping them in the heap lets freed blocks be reused.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

void CpuBackend::memcpy(void* dst, const void* src, size_t bytes, Device dst_device, Device src_device) {
  if (!dst_device.is_cpu() || !src_device.is_cpu())
    throw DeviceError("cpu backend: cannot copy between " + src_device.str() + " and " + dst_device.str());
  std::memcpy(dst, src, bytes);
}

}  // namespace cz::cpu
