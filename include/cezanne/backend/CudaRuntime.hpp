// CudaRuntime.hpp — the few CUDA runtime facts cezanne needs outside the CUDA backend.
//
// Free of CUDA headers so that CPU-only code (the CLI, tests) can include it. In a build
// without CUDA (CEZANNE_WITH_CUDA=0) the same functions exist: the queries report no
// device and the memory functions throw std::runtime_error("... built without CUDA").
#pragma once

#include <cstddef>
#include <string>

namespace cz::cuda {

/// Number of usable CUDA devices; 0 when there is no driver, no device, or no CUDA build.
/// Never aborts.
int device_count();

/// Device name as reported by cudaGetDeviceProperties. Throws std::runtime_error on a bad
/// index or in a build without CUDA.
std::string device_name(int device);

/// CUDA driver API version (e.g. 13000), 0 when no driver is installed or no CUDA build.
int driver_version();

/// CUDA runtime version linked (e.g. 13000), 0 in a build without CUDA.
int runtime_version();

/// Allocates `bytes` of device memory on the current device. Throws on failure.
void* malloc_device(std::size_t bytes);

/// Frees memory from malloc_device; nullptr is ignored.
void free_device(void* device_ptr);

/// Copies `bytes` from device to host (synchronous).
void copy_to_host(void* host_dst, const void* device_src, std::size_t bytes);

/// Copies `bytes` from host to device (synchronous).
void copy_to_device(void* device_dst, const void* host_src, std::size_t bytes);

/// Sets device_ptr[0..n) to `value` with a kernel launched on `stream` (a cudaStream_t;
/// nullptr is the default stream). Asynchronous with respect to the host.
void fill(float* device_ptr, std::size_t n, float value, void* stream = nullptr);

/// Waits for all work on `stream` (a cudaStream_t; nullptr is the default stream).
void synchronize(void* stream = nullptr);

}  // namespace cz::cuda
