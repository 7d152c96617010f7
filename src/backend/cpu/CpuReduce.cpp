// CPU reductions. Sums accumulate in double in a fixed order (chunks of a fixed size, summed
// in order), so results do not depend on the number of threads.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "CpuBackend.hpp"
#include "Strided.hpp"

namespace cz::cpu {

namespace {

struct Block {
  std::vector<int64_t> dims, strides;  // coalesced, outermost first
  int64_t numel = 1;
};

Block make_block(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides) {
  Block b;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1) continue;
    if (!b.dims.empty() && b.strides.back() == strides[i] * dims[i]) {
      b.dims.back() *= dims[i];
      b.strides.back() = strides[i];
    } else {
      b.dims.push_back(dims[i]);
      b.strides.push_back(strides[i]);
    }
  }
  for (int64_t d : b.dims) b.numel *= d;
  return b;
}

int64_t block_offset(const Block& b, int64_t linear) {
  int64_t off = 0;
  for (size_t d = b.dims.size(); d-- > 0;) {
    off += (linear % b.dims[d]) * b.strides[d];
    linear /= b.dims[d];
  }
  return off;
}

constexpr int64_t kChunk = 1 << 14;

// Sum of elements [begin, end) of the block (linear order), starting at base.
template <class T>
double block_sum(const T* base, const Block& b, int64_t begin, int64_t end) {
  double s = 0;
  if (b.dims.empty()) return begin < end ? static_cast<double>(base[0]) : 0.0;
  const int64_t inner = b.dims.back(), inner_stride = b.strides.back();
  int64_t i = begin;
  while (i < end) {
    const int64_t j = i % inner;
    const int64_t n = std::min(inner - j, end - i);
    const T* p = base + block_offset(b, i);
    if (inner_stride == 1) {
      // Eight independent partial sums: the adds pipeline (and vectorize) instead of waiting
      // on one another; the order, and so the result, is still fixed.
      double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t t = 0;
      for (; t + 8 <= n; t += 8)
        for (int u = 0; u < 8; ++u) part[u] += static_cast<double>(p[t + u]);
      for (; t < n; ++t) part[0] += static_cast<double>(p[t]);
      s += ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    } else {
      for (int64_t t = 0; t < n; ++t) s += static_cast<double>(p[t * inner_stride]);
    }
    i += n;
  }
  return s;
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& x, Tensor& out, Tensor* indices) {
  std::vector<int64_t> kdims, kstrides, rdims, rstrides;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (out.size(d) == x.size(d)) {
      kdims.push_back(x.size(d));
      kstrides.push_back(x.strides()[d]);
    } else {
      rdims.push_back(x.size(d));
      rstrides.push_back(x.strides()[d]);
    }
  }
  // Kept elements are visited in out's (contiguous) order; the kept block of x walks the same order.
  Block kept;
  kept.dims = kdims;
  kept.strides = kstrides;
  kept.numel = 1;
  for (int64_t d : kdims) kept.numel *= d;
  const Block red = make_block(rdims, rstrides);
  const int64_t K = kept.numel, R = red.numel;

  dispatch_floating(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* xp = static_cast<const T*>(x.raw_data());
    T* op_ = static_cast<T*>(out.raw_data());
    if (op == ReduceOp::sum) {
      const int64_t chunks = std::max<int64_t>(1, (R + kChunk - 1) / kChunk);
      if (K >= 4 || chunks == 1) {
#pragma omp parallel for if (K * R >= kParallelGrain) schedule(static)
        for (int64_t k = 0; k < K; ++k) {
          const T* base = xp + block_offset(kept, k);
          double s = 0;
          for (int64_t c = 0; c < chunks; ++c) s += block_sum(base, red, c * kChunk, std::min(R, (c + 1) * kChunk));
          op_[k] = static_cast<T>(s);
        }
      } else {
        for (int64_t k = 0; k < K; ++k) {
          const T* base = xp + block_offset(kept, k);
          std::vector<double> partial(static_cast<size_t>(chunks));
#pragma omp parallel for schedule(static)
          for (int64_t c = 0; c < chunks; ++c)
            partial[c] = block_sum(base, red, c * kChunk, std::min(R, (c + 1) * kChunk));
          double s = 0;
          for (double p : partial) s += p;
          op_[k] = static_cast<T>(s);
        }
      }
    } else {
      int64_t* ip = indices ? static_cast<int64_t*>(indices->raw_data()) : nullptr;
#pragma omp parallel for if (K * R >= kParallelGrain) schedule(static)
      for (int64_t k = 0; k < K; ++k) {
        const T* base = xp + block_offset(kept, k);
        T best = -std::numeric_limits<T>::infinity();
        int64_t best_i = 0;
        bool nan = false;
        for (int64_t r = 0; r < R; ++r) {
          const T v = base[block_offset(red, r)];
          if (std::isnan(v)) {
            if (!nan) best_i = r;
            nan = true;
            best = v;
          } else if (!nan && (v > best || r == 0)) {
            best = v;
            best_i = r;
          }
        }
        op_[k] = best;
        if (ip) ip[k] = best_i;
      }
    }
  });
}

}  // namespace cz::cpu
