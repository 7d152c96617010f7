// Out-of-range indices on the GPU. The CPU's indexing kernels throw ShapeError before they run;
// a GPU kernel cannot, and checking first would stop the host at every gather. So the CUDA
// indexing kernels skip an out-of-range index (they never touch memory outside the operands, so
// the CUDA context stays usable), record it, and the device's next host synchronization (a copy
// to the host, synchronize()) throws the CPU's ShapeError for it.
//
// Also the device code of the indexing kernels (CudaIndex.cu launches them): no CUDA header of
// its own, so that tests/backend/CudaEmulation.hpp runs the same kernels on the host, on machines
// without a GPU.
#pragma once

#include <cstdint>

#include "CudaLaunch.cuh"

namespace cz::cuda {

/// The index an indexing kernel found out of range, written once per fault by the kernel thread
/// that claimed it; in mapped host memory, so the host reads it after a synchronization without a
/// copy.
struct IndexFaultRecord {
  int64_t index;
  int64_t size;
  int32_t op;  // IndexOp
  int32_t set;
};

/// What an indexing kernel needs to report a fault: a claim word in device memory (0: free), so
/// that exactly one thread writes the record, and the record's device address.
struct IndexFaults {
  int* claim = nullptr;
  IndexFaultRecord* record = nullptr;
};

/// The indexing ops, as named in their errors.
enum class IndexOp : int32_t { gather, scatter_add, index_select, index_add };

/// Device `device`'s fault record (allocated on first use).
IndexFaults index_faults(int device);

/// Throws ShapeError("<op>: index <i> out of range [0, <size>)") for a fault that an indexing
/// kernel of device `device` recorded (and clears it); returns when there is none. Call after a
/// host synchronization of that device: the record is complete once the kernel has finished.
void raise_index_fault(int device);

__device__ inline void report_fault(const IndexFaults& faults, IndexOp op, int64_t index,
                                    int64_t size) {
  if (atomicCAS(faults.claim, 0, 1) != 0) return;  // another thread has reported one
  faults.record->index = index;
  faults.record->size = size;
  faults.record->op = static_cast<int32_t>(op);
  __threadfence_system();  // the fields before the flag, as the host sees them
  faults.record->set = 1;
}

/// Where the index of element (o, m, i) of the [outer, M, inner] iteration lives: gather and
/// scatter_add have an index of that shape ({M * inner, inner, 1}), index_select and index_add
/// one 1-d index along dim ({0, 1, 0}).
struct IndexLayout {
  int64_t outer_stride, dim_stride, inner_stride;
  __device__ int64_t at(int64_t o, int64_t m, int64_t i) const {
    return o * outer_stride + m * dim_stride + i * inner_stride;
  }
};

/// out [outer, M, inner] (contiguous) = x [outer, x_dim, inner] at the index along dim; one thread
/// per element of out. An out-of-range index gives 0 (and a fault).
template <class T>
__global__ void gather_kernel(const T* __restrict__ x, const int64_t* __restrict__ index,
                              IndexLayout layout, T* __restrict__ out, int64_t n, int64_t M,
                              int64_t inner, int64_t x_dim, IndexFaults faults, IndexOp op) {
  CZ_CUDA_LOOP(e, n) {
    const int64_t i = e % inner, om = e / inner, m = om % M, o = om / M;
    const int64_t j = index[layout.at(o, m, i)];
    if (j < 0 || j >= x_dim) {
      report_fault(faults, op, j, x_dim);
      out[e] = T(0);
    } else {
      out[e] = x[(o * x_dim + j) * inner + i];
    }
  }
}

// The adds: out [outer, out_dim, inner] += src [outer, M, inner] at the index along dim. Row
// (o, i) of src adds only into row (o, i) of out, so rows are independent; within a row the
// elements are added in ascending m, as the CPU's loop does.

/// One thread per row, m in order: for many rows whose neighbours are neighbours in memory
/// (inner >= 32: coalesced) or that are short.
template <class T>
__global__ void scatter_add_rows_kernel(const int64_t* __restrict__ index, IndexLayout layout,
                                        const T* __restrict__ src, T* __restrict__ out,
                                        int64_t rows, int64_t M, int64_t inner, int64_t out_dim,
                                        IndexFaults faults, IndexOp op) {
  CZ_CUDA_LOOP(row, rows) {
    const int64_t o = row / inner, i = row % inner;
    const T* s = src + o * M * inner + i;
    T* d = out + o * out_dim * inner + i;
    for (int64_t m = 0; m < M; ++m) {
      const int64_t j = index[layout.at(o, m, i)];
      if (j < 0 || j >= out_dim) {
        report_fault(faults, op, j, out_dim);
        continue;
      }
      d[j * inner] += s[m * inner];
    }
  }
}

/// One warp per row, 32 consecutive m at a time (coalesced for inner == 1, the pooling
/// gradient's case): the lanes that add into the same element of out find each other
/// (__match_any_sync), and the lowest of them adds all their values in lane order, that is in
/// ascending m; chunks follow one another, so every element of out sees the CPU's sequence of adds.
template <class T>
__global__ void __launch_bounds__(kThreads)
    scatter_add_warps_kernel(const int64_t* __restrict__ index, IndexLayout layout,
                             const T* __restrict__ src, T* __restrict__ out, int64_t rows,
                             int64_t M, int64_t inner, int64_t out_dim, IndexFaults faults,
                             IndexOp op) {
  __shared__ T values[kThreads];
  const int lane = static_cast<int>(threadIdx.x) % 32;
  T* warp_values = values + (threadIdx.x - lane);
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (kThreads / 32);
  // row depends on the warp alone: the loops are uniform over the warp, as the *_sync calls need.
  for (int64_t row = (static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x) / 32; row < rows;
       row += warps) {
    const int64_t o = row / inner, i = row % inner;
    const T* s = src + o * M * inner + i;
    T* d = out + o * out_dim * inner + i;
    for (int64_t m0 = 0; m0 < M; m0 += 32) {
      const int64_t m = m0 + lane;
      long long j = -1;  // -1: this lane adds nothing
      if (m < M) {
        j = index[layout.at(o, m, i)];
        if (j < 0 || j >= out_dim) {
          report_fault(faults, op, j, out_dim);
          j = -1;
        } else {
          warp_values[lane] = s[m * inner];
        }
      }
      const unsigned peers = __match_any_sync(0xffffffffu, j);
      __syncwarp();  // the values are visible to the lane that adds them
      if (j >= 0 && lane == __ffs(peers) - 1) {
        T acc = d[j * inner];
        for (unsigned rest = peers; rest != 0; rest &= rest - 1)
          acc += warp_values[__ffs(rest) - 1];
        d[j * inner] = acc;
      }
      __syncwarp();  // the next chunk overwrites the values and reads what this one wrote
    }
  }
}

// [outer, size(dim), inner] view of a contiguous shape.
struct Split3 {
  int64_t outer = 1, mid = 1, inner = 1;
};
inline Split3 split3(const Shape& s, int64_t dim) {
  Split3 r;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    if (i < dim)
      r.outer *= s[static_cast<size_t>(i)];
    else if (i == dim)
      r.mid = s[static_cast<size_t>(i)];
    else
      r.inner *= s[static_cast<size_t>(i)];
  }
  return r;
}

/// Rows for which one thread each fills the GPU (an H100 runs 132 x 2048 threads at once).
inline constexpr int64_t kManyRows = 32768;

/// out [outer, M, inner] = x at index (layout) along dim, by launch(kernel, blocks, args...).
template <class Launch, class T>
void launch_gather(Launch&& launch, const T* x, const int64_t* index, IndexLayout layout, T* out,
                   const Split3& out_split, int64_t x_dim, IndexFaults faults, IndexOp op) {
  const int64_t n = out_split.outer * out_split.mid * out_split.inner;
  if (n == 0) return;
  launch(gather_kernel<T>, blocks_for(n), x, index, layout, out, n, out_split.mid, out_split.inner,
         x_dim, faults, op);
}

/// out [outer, out_dim, inner] += src [outer, M, inner] at index (layout) along dim, by
/// launch(kernel, blocks, args...): a thread per row for many rows, a warp per row otherwise.
template <class Launch, class T>
void launch_scatter_add(Launch&& launch, const int64_t* index, IndexLayout layout, const T* src,
                        T* out, const Split3& src_split, int64_t out_dim, IndexFaults faults,
                        IndexOp op) {
  const int64_t rows = src_split.outer * src_split.inner, M = src_split.mid,
                inner = src_split.inner;
  if (rows == 0 || M == 0) return;
  if (rows >= kManyRows && (inner >= 32 || M < 32))
    launch(scatter_add_rows_kernel<T>, blocks_for(rows), index, layout, src, out, rows, M, inner,
           out_dim, faults, op);
  else
    launch(scatter_add_warps_kernel<T>, blocks_for(rows * 32), index, layout, src, out, rows, M,
           inner, out_dim, faults, op);
}

}  // namespace cz::cuda
