// CUDA reductions: sum and max (with argmax) over the dims where out has size 1, any strides of x.
//
// Deterministic by construction: every output is reduced by a fixed group of threads (1, a warp
// or a block, chosen from the shape alone) in a fixed order (thread t takes elements t, t + G,
// ...; then a fixed shuffle tree), and a huge reduction is split into a fixed number of chunks
// whose partials a second pass combines in order. No atomics: the same input gives the same bits
// on every run. Sums accumulate in double for f32 too, as the CPU's do: the kernels are bound by
// memory, so the wider adds cost nothing, and f32 results then equal the CPU's to rounding.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "CudaBackend.cuh"

namespace cz::cuda {

namespace {

// ---- the two reductions: an accumulator, its identity, and an associative, commutative combine.

struct SumOp {
  using Acc = double;
  static __device__ Acc identity() { return 0.0; }
  template <class T>
  static __device__ Acc take(T v, int64_t) {
    return static_cast<double>(v);
  }
  static __device__ Acc combine(Acc a, Acc b) { return a + b; }
  static __device__ Acc shfl_down(Acc a, int offset) { return __shfl_down_sync(0xffffffffu, a, offset); }
};

template <class T>
struct ArgMax {
  T value;
  int64_t index;
};

// The CPU's choice as a total order, so any tree gives the sequential loop's answer: a NaN beats
// every number and the first NaN wins; otherwise the larger value wins and, on a tie, the first
// index (the CPU keeps the first maximum).
template <class T>
struct MaxOp {
  using Acc = ArgMax<T>;
  static __device__ Acc identity() { return {-static_cast<T>(INFINITY), INT64_MAX}; }
  static __device__ Acc take(T v, int64_t r) { return {v, r}; }
  static __device__ bool beats(const Acc& b, const Acc& a) {
    const bool b_nan = b.value != b.value, a_nan = a.value != a.value;
    if (b_nan != a_nan) return b_nan;
    if (!b_nan && b.value != a.value) return b.value > a.value;
    return b.index < a.index;
  }
  static __device__ Acc combine(Acc a, Acc b) { return beats(b, a) ? b : a; }
  static __device__ Acc shfl_down(Acc a, int offset) {
    return {__shfl_down_sync(0xffffffffu, a.value, offset), __shfl_down_sync(0xffffffffu, a.index, offset)};
  }
};

template <class Op>
__device__ typename Op::Acc warp_reduce(typename Op::Acc acc) {
  for (int offset = 16; offset > 0; offset >>= 1) acc = Op::combine(acc, Op::shfl_down(acc, offset));
  return acc;  // lane 0's is the warp's
}

// ---- where the elements come from and where the results go.

/// Output k's reduced block of x; accumulate() folds elements r = first, first + G, ... < end
/// into acc in that order.
template <class T, class Op>
struct StridedSource {
  const T* x;
  Indexer kept, reduced;
  __device__ const T* base(int64_t k) const { return x + kept.offset(k); }
  template <int G>
  __device__ typename Op::Acc accumulate(typename Op::Acc acc, const T* b, int64_t first, int64_t end) const {
    if (reduced.dims == 1) {  // rows or columns: no division
      const int64_t stride = reduced.strides[0];
#pragma unroll 4
      for (int64_t r = first; r < end; r += G) acc = Op::combine(acc, Op::take(b[r * stride], r));
    } else if (reduced.dims == 2) {
      // Two reduced dims (the batch and the plane of a bias gradient): r's coordinates (q, u)
      // advance by G without dividing per element (64-bit division is dozens of instructions).
      const int64_t n1 = reduced.shape[1], s0 = reduced.strides[0], s1 = reduced.strides[1];
      const int64_t dq = G / n1, du = G % n1;
      int64_t q = first / n1, u = first % n1;
      for (int64_t r = first; r < end; r += G) {
        acc = Op::combine(acc, Op::take(b[q * s0 + u * s1], r));
        q += dq;
        u += du;
        if (u >= n1) {
          u -= n1;
          ++q;
        }
      }
    } else {
      for (int64_t r = first; r < end; r += G) acc = Op::combine(acc, Op::take(b[reduced.offset(r)], r));
    }
    return acc;
  }
};

/// The first pass's partials of output k, chunk r.
template <class Op>
struct PartialSource {
  const typename Op::Acc* partials;
  int64_t chunks;
  __device__ const typename Op::Acc* base(int64_t k) const { return partials + k * chunks; }
  template <int G>
  __device__ typename Op::Acc accumulate(typename Op::Acc acc, const typename Op::Acc* b, int64_t first,
                                         int64_t end) const {
    for (int64_t r = first; r < end; r += G) acc = Op::combine(acc, b[r]);
    return acc;
  }
};

template <class Op>
struct PartialSink {
  typename Op::Acc* partials;
  __device__ void store(int64_t w, const typename Op::Acc& acc) const { partials[w] = acc; }
};

template <class T>
struct SumSink {
  T* out;
  __device__ void store(int64_t k, double acc) const { out[k] = static_cast<T>(acc); }
};

template <class T>
struct MaxSink {
  T* out;
  int64_t* indices;  // null when not asked for
  __device__ void store(int64_t k, const ArgMax<T>& acc) const {
    out[k] = acc.value;
    if (indices) indices[k] = acc.index;
  }
};

/// Work item w = (output k, chunk c) covers elements [c * chunk, min(R, (c + 1) * chunk)) of
/// output k and is reduced by a group of G threads (1, a warp, or the block): thread t of the
/// group takes elements begin + t, begin + t + G, ..., then the group combines its threads'
/// accumulators in a fixed tree, and thread 0 stores the item's result.
template <int G, class Op, class Source, class Sink>
__global__ void __launch_bounds__(kThreads)
    reduce_kernel(Source source, Sink sink, int64_t outputs, int64_t chunks, int64_t R, int64_t chunk) {
  static_assert(G == 1 || G == 32 || G == kThreads, "a group is a thread, a warp or the block");
  using Acc = typename Op::Acc;
  __shared__ Acc warp_results[kThreads / 32];
  constexpr int kGroupsPerBlock = kThreads / G;
  const int t = static_cast<int>(threadIdx.x) % G;
  const int64_t items = outputs * chunks;
  // The loop condition is uniform over a group, so the group's shuffles and barriers are reached
  // by all its threads.
  for (int64_t w = static_cast<int64_t>(blockIdx.x) * kGroupsPerBlock + threadIdx.x / G; w < items;
       w += static_cast<int64_t>(gridDim.x) * kGroupsPerBlock) {
    const int64_t k = w / chunks, begin = (w % chunks) * chunk;
    const int64_t end = begin + chunk < R ? begin + chunk : R;
    Acc acc = source.template accumulate<G>(Op::identity(), source.base(k), begin + t, end);
    if constexpr (G >= 32) acc = warp_reduce<Op>(acc);
    if constexpr (G == kThreads) {
      const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
      if (lane == 0) warp_results[warp] = acc;
      __syncthreads();
      if (warp == 0) acc = warp_reduce<Op>(lane < kThreads / 32 ? warp_results[lane] : Op::identity());
      __syncthreads();  // warp_results is written again by the next item
    }
    if (t == 0) sink.store(w, acc);
  }
}

template <int G, class Op, class Source, class Sink>
void launch_reduce(cudaStream_t stream, const Source& source, const Sink& sink, int64_t outputs, int64_t chunks,
                   int64_t R, int64_t chunk) {
  reduce_kernel<G, Op><<<blocks_for(outputs * chunks * G), kThreads, 0, stream>>>(source, sink, outputs, chunks,
                                                                                   R, chunk);
  CZ_CHECK_CUDA_LAUNCH();
}

// ---- the plan: a pure function of the shape, so the summation order (and the bits) is too.

/// Dims merged where row-major order allows (stride[i] == stride[i+1] * size[i+1]) and size-1
/// dims dropped: the same linear order over fewer dims, so fewer divisions per element.
void coalesce(std::vector<int64_t>& sizes, std::vector<int64_t>& strides) {
  std::vector<int64_t> s, st;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == 1) continue;
    if (!s.empty() && st.back() == strides[i] * sizes[i]) {
      s.back() *= sizes[i];
      st.back() = strides[i];
    } else {
      s.push_back(sizes[i]);
      st.push_back(strides[i]);
    }
  }
  sizes = std::move(s);
  strides = std::move(st);
}

/// Elements a block reduces in one work item of a huge reduction, and the most work items a
/// few outputs are split into (they fill an H100's 132 SMs several times over).
constexpr int64_t kChunk = 8192;
constexpr int64_t kMaxItems = 1024;

struct Plan {
  int group = 1;        // threads per work item: 1, 32 or kThreads
  int64_t chunks = 1;   // work items per output; > 1 needs the second pass
  int64_t chunk = 0;    // elements per work item
};

Plan plan(int64_t K, int64_t R, bool rows) {
  Plan p;
  p.chunk = R;
  // Short reductions, and columns of many outputs (neighbouring threads read neighbouring
  // elements), take one thread per output.
  if (R <= 16 || (!rows && K >= 8192)) return p;
  p.group = 32;
  if (R <= 4096) return p;
  p.group = kThreads;
  p.chunks = std::min((R + kChunk - 1) / kChunk, std::max<int64_t>(1, kMaxItems / K));
  p.chunk = (R + p.chunks - 1) / p.chunks;
  return p;
}

template <class Op, class Source, class Sink>
void run_plan(cudaStream_t stream, Device device, const Plan& p, const Source& source, const Sink& sink, int64_t K,
              int64_t R) {
  if (p.chunks == 1) {
    if (p.group == 1) launch_reduce<1, Op>(stream, source, sink, K, 1, R, p.chunk);
    else if (p.group == 32) launch_reduce<32, Op>(stream, source, sink, K, 1, R, p.chunk);
    else launch_reduce<kThreads, Op>(stream, source, sink, K, 1, R, p.chunk);
    return;
  }
  // Two passes: each (output, chunk) to a partial, then each output's partials (at most
  // kMaxItems) in chunk order by one warp. The workspace is a tensor from the caching allocator:
  // freed when this returns, its block can serve only work queued after ours on this stream.
  using Acc = typename Op::Acc;
  static_assert(sizeof(Acc) % sizeof(double) == 0);
  Tensor workspace =
      Tensor::empty({K * p.chunks * static_cast<int64_t>(sizeof(Acc) / sizeof(double))}, DType::f64, device);
  Acc* partials = data<Acc>(workspace);
  launch_reduce<kThreads, Op>(stream, source, PartialSink<Op>{partials}, K, p.chunks, R, p.chunk);
  launch_reduce<32, Op>(stream, PartialSource<Op>{partials, p.chunks}, sink, K, 1, p.chunks, p.chunks);
}

}  // namespace

void CudaBackend::reduce(ReduceOp op, const Tensor& x, Tensor& out, Tensor* indices) {
  std::vector<int64_t> kept_sizes, kept_strides, reduced_sizes, reduced_strides;
  for (int64_t d = 0; d < x.dim(); ++d) {
    const bool kept = out.size(d) == x.size(d);
    (kept ? kept_sizes : reduced_sizes).push_back(x.size(d));
    (kept ? kept_strides : reduced_strides).push_back(x.strides()[static_cast<size_t>(d)]);
  }
  // out is contiguous, so output k is linear index k of the kept dims in order: coalescing keeps it.
  coalesce(kept_sizes, kept_strides);
  coalesce(reduced_sizes, reduced_strides);
  int64_t K = 1, R = 1;
  for (int64_t s : kept_sizes) K *= s;
  for (int64_t s : reduced_sizes) R *= s;
  if (K == 0 || out.numel() == 0) return;
  const bool rows = reduced_strides.empty() || reduced_strides.back() == 1;
  const Plan p = plan(K, R, rows);
  const Indexer kept = indexer(kept_sizes, kept_strides), reduced = indexer(reduced_sizes, reduced_strides);
  const cudaStream_t s = stream();
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (op == ReduceOp::sum) {
      run_plan<SumOp>(s, device(), p, StridedSource<T, SumOp>{data<T>(x), kept, reduced}, SumSink<T>{data<T>(out)},
                      K, R);
    } else {
      run_plan<MaxOp<T>>(s, device(), p, StridedSource<T, MaxOp<T>>{data<T>(x), kept, reduced},
                         MaxSink<T>{data<T>(out), indices ? data<int64_t>(*indices) : nullptr}, K, R);
    }
  });
}

}  // namespace cz::cuda
