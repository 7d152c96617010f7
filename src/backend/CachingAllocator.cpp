// Size-class free lists in front of a device allocator.
#include "cezanne/backend/CachingAllocator.hpp"

#include <algorithm>
#include <bit>
#include <new>

namespace cz {

CachingAllocator::CachingAllocator(DeviceAllocate allocate, DeviceFree free)
    : device_allocate_(std::move(allocate)), device_free_(std::move(free)) {}

CachingAllocator::~CachingAllocator() { empty_cache(); }

size_t CachingAllocator::size_class(size_t bytes) {
  if (bytes <= 4096) return std::max<size_t>(64, (bytes + 63) / 64 * 64);
  const size_t step = std::bit_floor(bytes) / 8;
  return (bytes + step - 1) / step * step;
}

void* CachingAllocator::allocate(size_t bytes) {
  const size_t size = size_class(bytes);
  std::unique_lock lock(mutex_);
  ++stats_.requests;
  void* ptr = nullptr;
  if (auto it = free_.find(size); it != free_.end() && !it->second.empty()) {
    ptr = it->second.back();
    it->second.pop_back();
    stats_.cached -= size;
  } else {
    ++stats_.device_allocations;
    try {
      ptr = device_allocate_(size);
    } catch (const std::bad_alloc&) {
      release_cache_locked();
      ptr = device_allocate_(size);
    }
  }
  stats_.allocated += size;
  stats_.peak_allocated = std::max(stats_.peak_allocated, stats_.allocated);
  return ptr;
}

void CachingAllocator::deallocate(void* ptr, size_t bytes) {
  const size_t size = size_class(bytes);
  std::unique_lock lock(mutex_);
  stats_.allocated -= size;
  if (!caching_) {
    device_free_(ptr, size);
    return;
  }
  free_[size].push_back(ptr);
  stats_.cached += size;
}

void CachingAllocator::release_cache_locked() {
  for (auto& [size, blocks] : free_) {
    for (void* p : blocks) device_free_(p, size);
    stats_.cached -= size * blocks.size();
    blocks.clear();
  }
}

void CachingAllocator::empty_cache() {
  std::unique_lock lock(mutex_);
  release_cache_locked();
}

void CachingAllocator::set_caching(bool on) {
  std::unique_lock lock(mutex_);
  caching_ = on;
  if (!on) release_cache_locked();
}

AllocatorStats CachingAllocator::stats() const {
  std::unique_lock lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::unique_lock lock(mutex_);
  stats_.peak_allocated = stats_.allocated;
}

}  // namespace cz
