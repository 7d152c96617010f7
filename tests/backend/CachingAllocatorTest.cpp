// The caching allocator: size classes, reuse from the free lists, statistics, caching off, and
// the retry after the device runs out of memory.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <set>

#include "cezanne/backend/Backend.hpp"

namespace cz {
namespace {

// A device allocator that counts its calls and can refuse while `limit` bytes are out.
struct FakeDevice {
  size_t out = 0, limit = SIZE_MAX;
  int allocations = 0, frees = 0;
  CachingAllocator allocator{[this](size_t bytes) {
                               if (out + bytes > limit) throw std::bad_alloc();
                               out += bytes;
                               ++allocations;
                               return std::malloc(bytes);
                             },
                             [this](void* p, size_t bytes) {
                               out -= bytes;
                               ++frees;
                               std::free(p);
                             }};
};

TEST(CachingAllocator, SizeClassesAreAtMostAnEighthOver) {
  EXPECT_EQ(CachingAllocator::size_class(0), 64u);
  EXPECT_EQ(CachingAllocator::size_class(1), 64u);
  EXPECT_EQ(CachingAllocator::size_class(65), 128u);
  EXPECT_EQ(CachingAllocator::size_class(4096), 4096u);
  EXPECT_EQ(CachingAllocator::size_class(4097), 4608u);  // 4096 + 512
  EXPECT_EQ(CachingAllocator::size_class(1 << 20), size_t{1} << 20);
  EXPECT_EQ(CachingAllocator::size_class((1 << 20) + 1), (size_t{1} << 20) + (1 << 17));
  for (size_t bytes : {4097ul, 10000ul, 123457ul, 9999999ul}) {
    const size_t c = CachingAllocator::size_class(bytes);
    EXPECT_GE(c, bytes);
    EXPECT_LE(c, bytes + bytes / 8);
  }
}

TEST(CachingAllocator, AFreedBlockServesTheNextRequestOfItsClass) {
  FakeDevice d;
  void* a = d.allocator.allocate(10000);
  d.allocator.deallocate(a, 10000);
  EXPECT_EQ(d.allocator.allocate(9500), a);  // same class (9216, 10240]
  AllocatorStats s = d.allocator.stats();
  EXPECT_EQ(s.requests, 2u);
  EXPECT_EQ(s.device_allocations, 1u);
  EXPECT_EQ(s.allocated, 10240u);
  EXPECT_EQ(s.cached, 0u);
  void* b = d.allocator.allocate(20000);
  d.allocator.deallocate(b, 20000);
  s = d.allocator.stats();
  EXPECT_EQ(s.peak_allocated, 10240u + 20480u);
  EXPECT_EQ(s.cached, 20480u);
  d.allocator.deallocate(a, 9500);
  d.allocator.empty_cache();
  s = d.allocator.stats();
  EXPECT_EQ(s.cached, 0u);
  EXPECT_EQ(s.allocated, 0u);
  EXPECT_EQ(d.out, 0u);
  EXPECT_EQ(d.frees, 2);
}

TEST(CachingAllocator, WithoutCachingEveryRequestReachesTheDevice) {
  FakeDevice d;
  d.allocator.set_caching(false);
  for (int i = 0; i < 3; ++i) d.allocator.deallocate(d.allocator.allocate(1000), 1000);
  EXPECT_EQ(d.allocations, 3);
  EXPECT_EQ(d.frees, 3);
  EXPECT_EQ(d.allocator.stats().cached, 0u);
}

TEST(CachingAllocator, OutOfMemoryReturnsTheCacheAndRetries) {
  FakeDevice d;
  d.limit = 3000;
  void* a = d.allocator.allocate(2048);
  d.allocator.deallocate(a, 2048);  // cached: the device still holds it
  void* b = d.allocator.allocate(2560);
  EXPECT_NE(b, nullptr);
  EXPECT_EQ(d.frees, 1);
  EXPECT_EQ(d.allocator.stats().cached, 0u);
  d.allocator.deallocate(b, 2560);
  EXPECT_THROW(d.allocator.allocate(4000), std::bad_alloc);
}

TEST(CachingAllocator, TensorsOfAStepReuseTheCpuBackendsBlocks) {
  CachingAllocator& cpu = backend_for(Device::cpu()).allocator();
  auto step = [] {
    const Tensor x = Tensor::uniform({64, 64}, -1, 1, 3);
    return matmul(x, unary(UnaryOp::tanh, x)).numel();
  };
  step();
  const AllocatorStats before = cpu.stats();
  step();
  const AllocatorStats after = cpu.stats();
  EXPECT_GT(after.requests, before.requests);
  EXPECT_EQ(after.device_allocations, before.device_allocations);
}

}  // namespace
}  // namespace cz
