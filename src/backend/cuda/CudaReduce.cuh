// The device code of the CUDA reductions and their launch plan (CudaReduce.cu launches them). No
// CUDA header of its own: nvcc compiles it within CudaReduce.cu, and
// tests/backend/CudaEmulation.hpp runs the same kernels, plans and passes on the host, on machines
// without a GPU.
//
// Deterministic by construction: every output is reduced by a fixed group of threads (1, a warp
// or a block, chosen from the shape alone) in a fixed order (thread t takes elements t, t + G,
// ...; then a fixed shuffle tree), and a huge reduction is split into a fixed number of chunks
// whose partials a second pass combines in order. No atomics: the same input gives the same bits
// on every run. Sums accumulate in double for f32 too, as the CPU's do: the kernels are bound by
// memory, so the wider adds cost nothing, and f32 results then equal the CPU's to rounding.
#pragma once

#include <math.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "CudaLaunch.cuh"

namespace cz::cuda::reduce {

// ---- the two reductions: an accumulator, its identity, and an associative, commutative combine.

struct SumOp {
  using Acc = double;
  static __device__ Acc identity() { return 0.0; }
  template <class T>
  static __device__ Acc take(T v, int64_t) {
    return static_cast<double>(v);
  }
  static __device__ Acc combine(Acc a, Acc b) { return a + b; }
  static __device__ Acc shfl_down(Acc a, int offset) {
    return __shfl_down_sync(0xffffffffu, a, offset);
  }
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
    return {__shfl_down_sync(0xffffffffu, a.value, offset),
            __shfl_down_sync(0xffffffffu, a.index, offset)};
  }
};

template <class Op>
__device__ typename Op::Acc warp_reduce(typename Op::Acc acc) {
  for (int offset = 16; offset > 0; offset >>= 1)
    acc = Op::combine(acc, Op::shfl_down(acc, offset));
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
  __device__ typename Op::Acc accumulate(typename Op::Acc acc, const T* b, int64_t first,
                                         int64_t end) const {
    if (reduced.dims == 1) {  // rows or columns: no division
      const int64_t stride = reduced.strides[0];
#ifdef __CUDACC__  // a hint for nvcc alone (the host compiler of the emulation warns)
#pragma unroll 4
#endif
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
      for (int64_t r = first; r < end; r += G)
        acc = Op::combine(acc, Op::take(b[reduced.offset(r)], r));
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
  __device__ typename Op::Acc accumulate(typename Op::Acc acc, const typename Op::Acc* b,
                                         int64_t first, int64_t end) const {
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
    reduce_kernel(Source source, Sink sink, int64_t outputs, int64_t chunks, int64_t R,
                  int64_t chunk) {
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
      const int warp = static_cast<int>(threadIdx.x) / 32,
                lane = static_cast<int>(threadIdx.x) % 32;
      if (lane == 0) warp_results[warp] = acc;
      __syncthreads();
      if (warp == 0)
        acc = warp_reduce<Op>(lane < kThreads / 32 ? warp_results[lane] : Op::identity());
      __syncthreads();  // warp_results is written again by the next item
    }
    if (t == 0) sink.store(w, acc);
  }
}

// ---- the plan: a pure function of the shape, so the summation order (and the bits) is too.

/// Dims merged where row-major order allows (stride[i] == stride[i+1] * size[i+1]) and size-1
/// dims dropped: the same linear order over fewer dims, so fewer divisions per element.
inline void coalesce(std::vector<int64_t>& sizes, std::vector<int64_t>& strides) {
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
  int group = 1;       // threads per work item: 1, 32 or kThreads
  int64_t chunks = 1;  // work items per output; > 1 needs the second pass
  int64_t chunk = 0;   // elements per work item
};

inline Plan plan(int64_t K, int64_t R, bool rows) {
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

/// x's layout for a reduction into out (contiguous; size 1 where reduced): the kept and the
/// reduced dims, each coalesced, their element counts and the plan.
struct Layout {
  Indexer kept, reduced;
  int64_t K = 1, R = 1;
  Plan plan;
};

inline Layout layout(const Tensor& x, const Tensor& out) {
  std::vector<int64_t> kept_sizes, kept_strides, reduced_sizes, reduced_strides;
  for (int64_t d = 0; d < x.dim(); ++d) {
    const bool kept = out.size(d) == x.size(d);
    (kept ? kept_sizes : reduced_sizes).push_back(x.size(d));
    (kept ? kept_strides : reduced_strides).push_back(x.strides()[static_cast<size_t>(d)]);
  }
  // out is contiguous, so output k is linear index k of the kept dims in order: coalescing keeps
  // it.
  coalesce(kept_sizes, kept_strides);
  coalesce(reduced_sizes, reduced_strides);
  Layout l;
  for (int64_t s : kept_sizes) l.K *= s;
  for (int64_t s : reduced_sizes) l.R *= s;
  const bool rows = reduced_strides.empty() || reduced_strides.back() == 1;
  l.plan = plan(l.K, l.R, rows);
  l.kept = indexer(kept_sizes, kept_strides);
  l.reduced = indexer(reduced_sizes, reduced_strides);
  return l;
}

/// Runs plan p over K outputs of R elements: launch(kernel, blocks, args...) launches
/// kernel<<<blocks, kThreads>>>(args...) (on the stream, or in the emulation); the second pass's
/// workspace is a tensor on `device`, from the caching allocator on a GPU: freed when this
/// returns, its block can serve only work queued after ours on the stream.
template <class Op, class Launch, class Source, class Sink>
void run_plan(Launch&& launch, Device device, const Plan& p, const Source& source, const Sink& sink,
              int64_t K, int64_t R) {
  const auto pass = [&]<int G>(std::integral_constant<int, G>, const auto& from, const auto& to,
                               int64_t chunks, int64_t length, int64_t chunk) {
    launch(reduce_kernel<G, Op, std::decay_t<decltype(from)>, std::decay_t<decltype(to)>>,
           blocks_for(K * chunks * G), from, to, K, chunks, length, chunk);
  };
  if (p.chunks == 1) {
    if (p.group == 1)
      pass(std::integral_constant<int, 1>{}, source, sink, 1, R, p.chunk);
    else if (p.group == 32)
      pass(std::integral_constant<int, 32>{}, source, sink, 1, R, p.chunk);
    else
      pass(std::integral_constant<int, kThreads>{}, source, sink, 1, R, p.chunk);
    return;
  }
  // Two passes: each (output, chunk) to a partial, then each output's partials (at most
  // kMaxItems) in chunk order by one warp.
  using Acc = typename Op::Acc;
  static_assert(sizeof(Acc) % sizeof(double) == 0);
  Tensor workspace = Tensor::empty(
      {K * p.chunks * static_cast<int64_t>(sizeof(Acc) / sizeof(double))}, DType::f64, device);
  Acc* partials = data<Acc>(workspace);
  pass(std::integral_constant<int, kThreads>{}, source, PartialSink<Op>{partials}, p.chunks, R,
       p.chunk);
  pass(std::integral_constant<int, 32>{}, PartialSource<Op>{partials, p.chunks}, sink, 1, p.chunks,
       p.chunks);
}

}  // namespace cz::cuda::reduce
