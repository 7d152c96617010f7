// Runs CUDA kernels on the host, for machines without a GPU: a block's threads are std::threads,
// __syncthreads a barrier of the block, a warp shuffle an exchange through slots between two
// barriers of the warp; blocks run one after another. Enough of CUDA for kernels written with
// threadIdx, blockIdx, blockDim, gridDim, __shared__ arrays, __syncthreads and
// __shfl_down_sync on values of up to 8 bytes, __match_any_sync, __syncwarp, __ffs, atomicCAS and
// __threadfence_system (the batch norm kernels, CudaNorm.cuh; the reductions, CudaReduce.cuh;
// the indexing kernels, CudaIndex.cuh), or grid-stride loops (the element-wise, convolution,
// optimizer and random kernels): it checks their indexing, their reductions and their semantics
// against the CPU, not their speed or the device's arithmetic (host and device round the same
// only where the kernels say so). Include it after every other header and before the kernels'
// .cuh.
#pragma once

#include <atomic>
#include <barrier>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace cz::cuda::emulation {

struct Dim3 {
  unsigned x = 0, y = 0, z = 0;
};

inline thread_local Dim3 thread_index, block_index, block_dim, grid_dim;

/// The barriers and shuffle slots of the block being run.
struct BlockState {
  std::unique_ptr<std::barrier<>> block;
  std::vector<std::unique_ptr<std::barrier<>>> warps;
  std::vector<std::uint64_t> slots;  // a shuffled value's bytes
};
inline BlockState block_state;

/// kernel(args...) on `grid` blocks of `threads` threads (a multiple of 32): one std::thread per
/// thread of a block, which runs the blocks in turn, the next once every thread has left this one.
template <class Kernel, class... Args>
void launch(unsigned grid, unsigned threads, Kernel kernel, Args... args) {
  block_state.block = std::make_unique<std::barrier<>>(threads);
  block_state.warps.clear();
  for (unsigned w = 0; w < threads / 32; ++w)
    block_state.warps.push_back(std::make_unique<std::barrier<>>(32));
  block_state.slots.assign(threads, 0);
  std::vector<std::thread> block;
  for (unsigned t = 0; t < threads; ++t)
    block.emplace_back([=] {
      thread_index = {t};
      block_dim = {threads};
      grid_dim = {grid};
      for (unsigned b = 0; b < grid; ++b) {
        block_index = {b};
        kernel(args...);
        block_state.block->arrive_and_wait();
      }
    });
  for (std::thread& t : block) t.join();
}

/// The launcher the kernels' host code takes (CudaBackend.cuh's StreamLaunch on a GPU):
/// kernel(args...) on `blocks` blocks of `threads` threads.
struct Launch {
  unsigned threads;
  template <class Kernel, class... Args>
  void operator()(Kernel kernel, unsigned blocks, const Args&... args) const {
    launch(blocks, threads, kernel, args...);
  }
};

/// The grid-stride kernels' launcher (CudaBackend.cuh's GridLauncher on a GPU): kernel(n,
/// args...) on 3 blocks of 32 threads, so that a loop over more than 96 elements wraps.
struct GridLaunch {
  template <class Kernel, class... Args>
  void operator()(Kernel kernel, int64_t n, const Args&... args) const {
    launch(3, 32, kernel, n, args...);
  }
};

inline void syncthreads() { block_state.block->arrive_and_wait(); }

/// v of the lane `offset` above the caller's in its warp (the caller's own v past the warp's end).
template <class T>
T shfl_down(T v, int offset) {
  static_assert(sizeof(T) <= sizeof(std::uint64_t), "CUDA shuffles values of up to 8 bytes");
  const unsigned t = thread_index.x, lane = t % 32;
  std::barrier<>& warp = *block_state.warps[t / 32];
  std::memcpy(&block_state.slots[t], &v, sizeof(T));
  warp.arrive_and_wait();
  T r = v;
  if (lane + offset < 32) std::memcpy(&r, &block_state.slots[t + offset], sizeof(T));
  warp.arrive_and_wait();
  return r;
}

/// The lanes of the caller's warp whose v equals the caller's, as a bit mask.
template <class T>
unsigned match_any(T v) {
  static_assert(sizeof(T) <= sizeof(std::uint64_t), "CUDA matches values of up to 8 bytes");
  const unsigned t = thread_index.x, first = t - t % 32;
  std::barrier<>& warp = *block_state.warps[t / 32];
  std::memcpy(&block_state.slots[t], &v, sizeof(T));
  warp.arrive_and_wait();
  unsigned peers = 0;
  for (unsigned lane = 0; lane < 32; ++lane) {
    T other;
    std::memcpy(&other, &block_state.slots[first + lane], sizeof(T));
    if (other == v) peers |= 1u << lane;
  }
  warp.arrive_and_wait();
  return peers;
}

inline void syncwarp() { block_state.warps[thread_index.x / 32]->arrive_and_wait(); }

}  // namespace cz::cuda::emulation

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// One block runs at a time, so a kernel's function-local static is its block's shared memory.
#define __shared__ static
#define threadIdx ::cz::cuda::emulation::thread_index
#define blockIdx ::cz::cuda::emulation::block_index
#define blockDim ::cz::cuda::emulation::block_dim
#define gridDim ::cz::cuda::emulation::grid_dim
inline void __syncthreads() { ::cz::cuda::emulation::syncthreads(); }
template <class T>
T __shfl_down_sync(unsigned, T v, int offset) {
  return ::cz::cuda::emulation::shfl_down(v, offset);
}
template <class T>
unsigned __match_any_sync(unsigned, T v) {
  return ::cz::cuda::emulation::match_any(v);
}
inline void __syncwarp() { ::cz::cuda::emulation::syncwarp(); }
inline int __ffs(unsigned x) { return x == 0 ? 0 : std::countr_zero(x) + 1; }
inline int atomicCAS(int* address, int compare, int value) {
  std::atomic_ref<int>(*address).compare_exchange_strong(compare, value);
  return compare;  // the old value, as CUDA's
}
inline void __threadfence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }
