// CPU im2col / col2im and max-pooling windows.
#include <algorithm>
#include <cstring>
#include <limits>

#include "CpuBackend.hpp"
#include "Strided.hpp"

namespace cz::cpu {

namespace {

struct ConvGeometry {
  int64_t batch, N, C, H, W, kh, kw, stride, padding, Ho, Wo;
};

ConvGeometry geometry(const Shape& image, int64_t kh, int64_t kw, int64_t stride, int64_t padding) {
  const size_t r = image.size();
  ConvGeometry g{1, image[r - 4], image[r - 3], image[r - 2], image[r - 1], kh, kw, stride, padding, 0, 0};
  for (size_t i = 0; i + 4 < r; ++i) g.batch *= image[i];
  g.Ho = (g.H + 2 * padding - kh) / stride + 1;
  g.Wo = (g.W + 2 * padding - kw) / stride + 1;
  return g;
}

// Output positions o in [lo, hi) whose input o*stride - padding + k lies in [0, size).
struct ValidRange {
  int64_t lo, hi;
};
ValidRange valid_range(int64_t out, int64_t size, int64_t stride, int64_t padding, int64_t k) {
  const int64_t shift = padding - k;  // input = o*stride - shift
  int64_t lo = shift > 0 ? (shift + stride - 1) / stride : 0;
  int64_t hi = (size - 1 + shift) >= 0 ? (size - 1 + shift) / stride + 1 : 0;
  lo = std::min(lo, out);
  hi = std::max(std::min(hi, out), lo);
  return {lo, hi};
}

}  // namespace

void CpuBackend::unfold(const Tensor& x, int64_t kh, int64_t kw, int64_t stride, int64_t padding, Tensor& cols) {
  const ConvGeometry g = geometry(x.shape(), kh, kw, stride, padding);
  const int64_t rows = g.C * kh * kw, L = g.Ho * g.Wo, ncols = g.N * L;
  dispatch_floating(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* xp = static_cast<const T*>(x.raw_data());
    T* cp = static_cast<T*>(cols.raw_data());
#pragma omp parallel for collapse(2) if (g.batch * rows * ncols >= kParallelGrain) schedule(static)
    for (int64_t b = 0; b < g.batch; ++b) {
      for (int64_t row = 0; row < rows; ++row) {
        const int64_t c = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw;
        const ValidRange cols_range = valid_range(g.Wo, g.W, stride, padding, kj);
        const int64_t cols_lo = cols_range.lo, cols_hi = cols_range.hi;
        T* dst = cp + (b * rows + row) * ncols;
        for (int64_t n = 0; n < g.N; ++n) {
          const T* plane = xp + ((b * g.N + n) * g.C + c) * g.H * g.W;
          T* d = dst + n * L;
          for (int64_t oh = 0; oh < g.Ho; ++oh) {
            const int64_t ih = oh * stride - padding + ki;
            T* drow = d + oh * g.Wo;
            if (ih < 0 || ih >= g.H) {
              std::memset(drow, 0, sizeof(T) * g.Wo);
              continue;
            }
            const T* srow = plane + ih * g.W - padding + kj;  // srow[ow*stride] = input column
            for (int64_t ow = 0; ow < cols_lo; ++ow) drow[ow] = T(0);
            if (stride == 1) {
              for (int64_t ow = cols_lo; ow < cols_hi; ++ow) drow[ow] = srow[ow];
            } else {
              for (int64_t ow = cols_lo; ow < cols_hi; ++ow) drow[ow] = srow[ow * stride];
            }
            for (int64_t ow = cols_hi; ow < g.Wo; ++ow) drow[ow] = T(0);
          }
        }
      }
    }
  });
}

void CpuBackend::fold(const Tensor& cols, int64_t kh, int64_t kw, int64_t stride, int64_t padding, Tensor& out) {
  const ConvGeometry g = geometry(out.shape(), kh, kw, stride, padding);
  const int64_t rows = g.C * kh * kw, L = g.Ho * g.Wo, ncols = g.N * L;
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* cp = static_cast<const T*>(cols.raw_data());
    T* op = static_cast<T*>(out.raw_data());
    // Each (batch, image, channel) plane is written by one thread: no races.
#pragma omp parallel for collapse(3) if (g.batch * rows * ncols >= kParallelGrain) schedule(static)
    for (int64_t b = 0; b < g.batch; ++b) {
      for (int64_t n = 0; n < g.N; ++n) {
        for (int64_t c = 0; c < g.C; ++c) {
          T* plane = op + ((b * g.N + n) * g.C + c) * g.H * g.W;
          for (int64_t ki = 0; ki < kh; ++ki) {
            for (int64_t kj = 0; kj < kw; ++kj) {
              const int64_t row = (c * kh + ki) * kw + kj;
              const T* src = cp + (b * rows + row) * ncols + n * L;
              const ValidRange rr = valid_range(g.Ho, g.H, stride, padding, ki);
              const ValidRange cr = valid_range(g.Wo, g.W, stride, padding, kj);
              for (int64_t oh = rr.lo; oh < rr.hi; ++oh) {
                T* prow = plane + (oh * stride - padding + ki) * g.W - padding + kj;
                const T* srow = src + oh * g.Wo;
                if (stride == 1) {
                  for (int64_t ow = cr.lo; ow < cr.hi; ++ow) prow[ow] += srow[ow];
                } else {
                  for (int64_t ow = cr.lo; ow < cr.hi; ++ow) prow[ow * stride] += srow[ow];
                }
              }
            }
          }
        }
      }
    }
  });
}

void CpuBackend::max_pool2d_indices(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding,
                                    Tensor& indices) {
  const int64_t H = x.size(-2), W = x.size(-1), Ho = indices.size(-2), Wo = indices.size(-1);
  const int64_t planes = x.numel() / std::max<int64_t>(H * W, 1);
  int64_t* ip = static_cast<int64_t*>(indices.raw_data());
  dispatch_floating(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* xp = static_cast<const T*>(x.raw_data());
#pragma omp parallel for if (planes * H * W >= kParallelGrain) schedule(static)
    for (int64_t p = 0; p < planes; ++p) {
      const T* plane = xp + p * H * W;
      int64_t* out = ip + p * Ho * Wo;
      for (int64_t oh = 0; oh < Ho; ++oh) {
        for (int64_t ow = 0; ow < Wo; ++ow) {
          T best = -std::numeric_limits<T>::infinity();
          int64_t best_i = -1;
          for (int64_t ki = 0; ki < kernel; ++ki) {
            const int64_t ih = oh * stride - padding + ki;
            if (ih < 0 || ih >= H) continue;
            for (int64_t kj = 0; kj < kernel; ++kj) {
              const int64_t iw = ow * stride - padding + kj;
              if (iw < 0 || iw >= W) continue;
              const T v = plane[ih * W + iw];
              if (best_i < 0 || v > best || v != v) {
                best = v;
                best_i = ih * W + iw;
                if (v != v) break;
              }
            }
          }
          out[oh * Wo + ow] = best_i;
        }
      }
    }
  });
}

}  // namespace cz::cpu
