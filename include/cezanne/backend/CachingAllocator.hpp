// The caching allocator each backend serves tensor memory from: freed blocks go to a free list
// of their size class and the next request of that class reuses one, so a training loop that
// allocates the same activations every step stops calling the device's allocator after the
// first step (cudaMalloc synchronizes the device; malloc of large blocks maps fresh pages).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace cz {

/// Counters of one allocator, in bytes of size classes (what the device holds).
struct AllocatorStats {
  size_t allocated = 0;             ///< in live tensors
  size_t cached = 0;                ///< freed, kept in the free lists
  size_t peak_allocated = 0;        ///< the most `allocated` was since the last reset_peak()
  uint64_t requests = 0;            ///< allocate() calls
  uint64_t device_allocations = 0;  ///< requests the free lists could not serve
};

class CachingAllocator {
 public:
  using DeviceAllocate = std::function<void*(size_t bytes)>;
  using DeviceFree = std::function<void(void* ptr, size_t bytes)>;

  CachingAllocator(DeviceAllocate allocate, DeviceFree free);
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  /// A block of at least `bytes` (its size class); thread-safe. When the device is out of memory
  /// the cache is returned to it and the request retried once.
  void* allocate(size_t bytes);
  /// Returns a block from allocate(bytes) (the same `bytes`) to its free list, or to the device
  /// when caching is off.
  void deallocate(void* ptr, size_t bytes);

  /// Returns every cached block to the device.
  void empty_cache();
  /// Off: every request goes to the device and every free back to it (for measuring the cache).
  void set_caching(bool on);
  AllocatorStats stats() const;
  void reset_peak();

  /// The size class of a request: multiples of 64 bytes up to 4 KiB, above that eight classes
  /// per power of two (at most 12.5% over the request).
  static size_t size_class(size_t bytes);

 private:
  void release_cache_locked();

  DeviceAllocate device_allocate_;
  DeviceFree device_free_;
  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  AllocatorStats stats_;
  bool caching_ = true;
};

}  // namespace cz
