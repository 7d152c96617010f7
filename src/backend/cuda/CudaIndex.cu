// CUDA gather / scatter_add / index_select / index_add on contiguous operands ([outer, size(dim),
// inner] views), with the CPU's results: gathers copy, and the adds add into each element of out
// in the CPU's order (ascending position along dim), in the operands' type, so scatter_add and
// index_add equal the CPU's bit for bit and are deterministic without atomics.
#include "CudaIndex.cuh"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "CudaBackend.cuh"

namespace cz::cuda {

namespace {

const char* op_name(IndexOp op) {
  switch (op) {
    case IndexOp::gather: return "gather";
    case IndexOp::scatter_add: return "scatter_add";
    case IndexOp::index_select: return "index_select";
    case IndexOp::index_add: return "index_add";
  }
  return "index";
}

__device__ void report_fault(const IndexFaults& faults, IndexOp op, int64_t index, int64_t size) {
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
__global__ void gather_kernel(const T* __restrict__ x, const int64_t* __restrict__ index, IndexLayout layout,
                              T* __restrict__ out, int64_t n, int64_t M, int64_t inner, int64_t x_dim,
                              IndexFaults faults, IndexOp op) {
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
                                        const T* __restrict__ src, T* __restrict__ out, int64_t rows, int64_t M,
                                        int64_t inner, int64_t out_dim, IndexFaults faults, IndexOp op) {
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
    scatter_add_warps_kernel(const int64_t* __restrict__ index, IndexLayout layout, const T* __restrict__ src,
                             T* __restrict__ out, int64_t rows, int64_t M, int64_t inner, int64_t out_dim,
                             IndexFaults faults, IndexOp op) {
  __shared__ T values[kThreads];
  const int lane = static_cast<int>(threadIdx.x) % 32;
  T* warp_values = values + (threadIdx.x - lane);
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (kThreads / 32);
  // row depends on the warp alone: the loops are uniform over the warp, as the *_sync calls need.
  for (int64_t row = (static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x) / 32; row < rows; row += warps) {
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
        for (unsigned rest = peers; rest != 0; rest &= rest - 1) acc += warp_values[__ffs(rest) - 1];
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
Split3 split3(const Shape& s, int64_t dim) {
  Split3 r;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    if (i < dim) r.outer *= s[static_cast<size_t>(i)];
    else if (i == dim) r.mid = s[static_cast<size_t>(i)];
    else r.inner *= s[static_cast<size_t>(i)];
  }
  return r;
}

template <class T>
void launch_gather(cudaStream_t stream, const T* x, const int64_t* index, IndexLayout layout, T* out,
                   const Split3& out_split, int64_t x_dim, IndexFaults faults, IndexOp op) {
  const int64_t n = out_split.outer * out_split.mid * out_split.inner;
  if (n == 0) return;
  gather_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, index, layout, out, n, out_split.mid, out_split.inner,
                                                        x_dim, faults, op);
  CZ_CHECK_CUDA_LAUNCH();
}

/// Rows for which one thread each fills the GPU (an H100 runs 132 x 2048 threads at once).
constexpr int64_t kManyRows = 32768;

template <class T>
void launch_scatter_add(cudaStream_t stream, const int64_t* index, IndexLayout layout, const T* src, T* out,
                        const Split3& src_split, int64_t out_dim, IndexFaults faults, IndexOp op) {
  const int64_t rows = src_split.outer * src_split.inner, M = src_split.mid, inner = src_split.inner;
  if (rows == 0 || M == 0) return;
  if (rows >= kManyRows && (inner >= 32 || M < 32)) {
    scatter_add_rows_kernel<<<blocks_for(rows), kThreads, 0, stream>>>(index, layout, src, out, rows, M, inner,
                                                                       out_dim, faults, op);
  } else {
    scatter_add_warps_kernel<<<blocks_for(rows * 32), kThreads, 0, stream>>>(index, layout, src, out, rows, M,
                                                                             inner, out_dim, faults, op);
  }
  CZ_CHECK_CUDA_LAUNCH();
}

struct FaultState {
  int* claim = nullptr;                 // device memory
  IndexFaultRecord* host = nullptr;     // mapped host memory
  IndexFaultRecord* mapped = nullptr;   // its device address
};

// By device, created on first use and never freed: the CUDA runtime may be gone by the time
// static destructors run.
std::mutex fault_mutex;
std::vector<std::unique_ptr<FaultState>> fault_states;

/// Frees the claim word for the next fault; waits for the device, since a kernel on a stream that
/// does not synchronize with the default one must not see the word before it is cleared.
void clear_claim(int device, int* claim) {
  CZ_CHECK_CUDA(cudaSetDevice(device));
  CZ_CHECK_CUDA(cudaMemset(claim, 0, sizeof(int)));
  CZ_CHECK_CUDA(cudaDeviceSynchronize());
}

}  // namespace

IndexFaults index_faults(int device) {
  const std::lock_guard<std::mutex> lock(fault_mutex);
  if (fault_states.size() <= static_cast<size_t>(device)) fault_states.resize(static_cast<size_t>(device) + 1);
  auto& state = fault_states[static_cast<size_t>(device)];
  if (!state) {
    auto s = std::make_unique<FaultState>();
    CZ_CHECK_CUDA(cudaSetDevice(device));
    CZ_CHECK_CUDA(cudaMalloc(&s->claim, sizeof(int)));
    clear_claim(device, s->claim);
    CZ_CHECK_CUDA(cudaHostAlloc(&s->host, sizeof(IndexFaultRecord), cudaHostAllocMapped));
    *s->host = IndexFaultRecord{0, 0, 0, 0};
    CZ_CHECK_CUDA(cudaHostGetDevicePointer(&s->mapped, s->host, 0));
    state = std::move(s);
  }
  return {state->claim, state->mapped};
}

void raise_index_fault(int device) {
  IndexFaultRecord fault{};
  {
    const std::lock_guard<std::mutex> lock(fault_mutex);
    if (fault_states.size() <= static_cast<size_t>(device) || !fault_states[static_cast<size_t>(device)]) return;
    FaultState& s = *fault_states[static_cast<size_t>(device)];
    volatile IndexFaultRecord* r = s.host;
    if (r->set == 0) return;
    fault = IndexFaultRecord{r->index, r->size, r->op, 1};
    r->set = 0;
    clear_claim(device, s.claim);
  }
  throw ShapeError(std::string(op_name(static_cast<IndexOp>(fault.op))) + ": index " + std::to_string(fault.index) +
                   " out of range [0, " + std::to_string(fault.size) + ")");
}

void CudaBackend::gather(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) {
  const Split3 xs = split3(x.shape(), dim), is = split3(index.shape(), dim);
  const IndexLayout layout{is.mid * is.inner, is.inner, 1};
  const IndexFaults faults = index_faults(index_);
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_gather(stream(), data<T>(x), data<int64_t>(index), layout, data<T>(out), is, xs.mid, faults,
                  IndexOp::gather);
  });
}

void CudaBackend::index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) {
  const Split3 xs = split3(x.shape(), dim), os = split3(out.shape(), dim);
  const IndexFaults faults = index_faults(index_);
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_gather(stream(), data<T>(x), data<int64_t>(index), IndexLayout{0, 1, 0}, data<T>(out), os, xs.mid,
                  faults, IndexOp::index_select);
  });
}

void CudaBackend::scatter_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) {
  const Split3 os = split3(out.shape(), dim), is = split3(index.shape(), dim);
  const IndexLayout layout{is.mid * is.inner, is.inner, 1};
  const IndexFaults faults = index_faults(index_);
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_scatter_add(stream(), data<int64_t>(index), layout, data<T>(src), data<T>(out), is, os.mid, faults,
                       IndexOp::scatter_add);
  });
}

void CudaBackend::index_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) {
  const Split3 os = split3(out.shape(), dim), ss = split3(src.shape(), dim);
  const IndexFaults faults = index_faults(index_);
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_scatter_add(stream(), data<int64_t>(index), IndexLayout{0, 1, 0}, data<T>(src), data<T>(out), ss, os.mid,
                       faults, IndexOp::index_add);
  });
}

}  // namespace cz::cuda
