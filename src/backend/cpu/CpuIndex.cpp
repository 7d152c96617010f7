// CPU gather / scatter_add / index_select / index_add on contiguous operands.
#include <algorithm>
#include <string>

#include "CpuBackend.hpp"
#include "Strided.hpp"

namespace cz::cpu {

namespace {

// [outer, size(dim), inner] view of a contiguous shape.
struct Split3 {
  int64_t outer = 1, mid = 1, inner = 1;
};
Split3 split3(const Shape& s, int64_t dim) {
  Split3 r;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    if (i < dim) r.outer *= s[i];
    else if (i == dim) r.mid = s[i];
    else r.inner *= s[i];
  }
  return r;
}

// Indices are checked before the parallel loops (an exception must not leave an OpenMP region):
// their range first, a min/max reduction that vectorizes, and only when it is out of bounds a
// scan for the first offender, which the error names.
void check_indices(const char* op, const int64_t* idx, int64_t n, int64_t size) {
  int64_t lo = 0, hi = 0;
#pragma omp parallel for simd if (n >= kParallelGrain) reduction(min : lo) reduction(max : hi)
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, idx[i]);
    hi = std::max(hi, idx[i]);
  }
  if (lo >= 0 && hi < size) return;
  for (int64_t i = 0; i < n; ++i)
    if (idx[i] < 0 || idx[i] >= size)
      throw ShapeError(std::string(op) + ": index " + std::to_string(idx[i]) + " out of range [0, " +
                       std::to_string(size) + ")");
}

}  // namespace

void CpuBackend::gather(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) {
  const Split3 xs = split3(x.shape(), dim), is = split3(index.shape(), dim);
  const int64_t* idx = static_cast<const int64_t*>(index.raw_data());
  check_indices("gather", idx, index.numel(), xs.mid);
  dispatch_all(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* xp = static_cast<const T*>(x.raw_data());
    T* op = static_cast<T*>(out.raw_data());
#pragma omp parallel for if (index.numel() >= kParallelGrain) schedule(static)
    for (int64_t o = 0; o < is.outer; ++o) {
      for (int64_t m = 0; m < is.mid; ++m) {
        for (int64_t i = 0; i < is.inner; ++i) {
          const int64_t at = (o * is.mid + m) * is.inner + i;
          const int64_t j = idx[at];
          op[at] = xp[(o * xs.mid + j) * xs.inner + i];
        }
      }
    }
  });
}

void CpuBackend::scatter_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) {
  const Split3 os = split3(out.shape(), dim), is = split3(index.shape(), dim);
  const int64_t* idx = static_cast<const int64_t*>(index.raw_data());
  check_indices("scatter_add", idx, index.numel(), os.mid);
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* sp = static_cast<const T*>(src.raw_data());
    T* op = static_cast<T*>(out.raw_data());
    // Parallel over outer slices: each writes its own part of out.
#pragma omp parallel for if (index.numel() >= kParallelGrain) schedule(static)
    for (int64_t o = 0; o < is.outer; ++o) {
      for (int64_t m = 0; m < is.mid; ++m) {
        for (int64_t i = 0; i < is.inner; ++i) {
          const int64_t at = (o * is.mid + m) * is.inner + i;
          const int64_t j = idx[at];
          op[(o * os.mid + j) * os.inner + i] += sp[at];
        }
      }
    }
  });
}

void CpuBackend::index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) {
  const Split3 xs = split3(x.shape(), dim);
  const int64_t L = index.numel();
  const int64_t* idx = static_cast<const int64_t*>(index.raw_data());
  check_indices("index_select", idx, L, xs.mid);
  dispatch_all(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* xp = static_cast<const T*>(x.raw_data());
    T* op = static_cast<T*>(out.raw_data());
#pragma omp parallel for collapse(2) if (out.numel() >= kParallelGrain) schedule(static)
    for (int64_t o = 0; o < xs.outer; ++o)
      for (int64_t l = 0; l < L; ++l) {
        const T* s = xp + (o * xs.mid + idx[l]) * xs.inner;
        T* d = op + (o * L + l) * xs.inner;
        for (int64_t i = 0; i < xs.inner; ++i) d[i] = s[i];
      }
  });
}

void CpuBackend::index_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) {
  const Split3 os = split3(out.shape(), dim);
  const int64_t L = index.numel();
  const int64_t* idx = static_cast<const int64_t*>(index.raw_data());
  check_indices("index_add", idx, L, os.mid);
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* sp = static_cast<const T*>(src.raw_data());
    T* op = static_cast<T*>(out.raw_data());
#pragma omp parallel for if (src.numel() >= kParallelGrain) schedule(static)
    for (int64_t o = 0; o < os.outer; ++o)
      for (int64_t l = 0; l < L; ++l) {
        const T* s = sp + (o * L + l) * os.inner;
        T* d = op + (o * os.mid + idx[l]) * os.inner;
        for (int64_t i = 0; i < os.inner; ++i) d[i] += s[i];
      }
  });
}

}  // namespace cz::cpu
