// The device code of the CUDA im2col (unfold) and col2im (fold) kernels, in the CPU backend's
// layout: x [B, N, C, H, W] and its columns [B, C*kh*kw, N*Ho*Wo], row (c, ki, kj), column
// (n, oh, ow). CudaConv.cu launches them; no CUDA header of its own, so that
// tests/backend/CudaEmulation.hpp runs the same kernels on the host, on machines without a GPU.
//
// Both kernels give one thread one output element, so no two threads write the same address:
// fold is a gather (each image pixel sums the columns that cover it, in the CPU's order) rather
// than the CPU's scatter, and needs no atomics; its sums are the CPU's bit for bit.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "CudaLaunch.cuh"

namespace cz::cuda::conv {

/// The convolution's sizes in the index type of the kernel (int32_t when every index fits).
template <class I>
struct ConvGeometry {
  I batch, N, C, H, W, kh, kw, stride, padding, Ho, Wo;
};

inline ConvGeometry<int64_t> geometry(const Shape& image, int64_t kh, int64_t kw, int64_t stride,
                                      int64_t padding) {
  const size_t r = image.size();
  ConvGeometry<int64_t> g{
      1, image[r - 4], image[r - 3], image[r - 2], image[r - 1], kh, kw, stride, padding, 0, 0};
  for (size_t i = 0; i + 4 < r; ++i) g.batch *= image[i];
  g.Ho = (g.H + 2 * padding - kh) / stride + 1;
  g.Wo = (g.W + 2 * padding - kw) / stride + 1;
  return g;
}

template <class I>
ConvGeometry<I> narrowed(const ConvGeometry<int64_t>& g) {
  return {static_cast<I>(g.batch), static_cast<I>(g.N),      static_cast<I>(g.C),
          static_cast<I>(g.H),     static_cast<I>(g.W),      static_cast<I>(g.kh),
          static_cast<I>(g.kw),    static_cast<I>(g.stride), static_cast<I>(g.padding),
          static_cast<I>(g.Ho),    static_cast<I>(g.Wo)};
}

// One thread per column element: cols[b, (c, ki, kj), (n, oh, ow)] = x[b, n, c, oh*s - p + ki,
// ow*s - p + kj], 0 in the padding. Consecutive threads write consecutive columns.
template <class T, class I>
__global__ void unfold_kernel(int64_t total, const T* __restrict__ x, ConvGeometry<I> g,
                              T* __restrict__ cols) {
  const I L = g.Ho * g.Wo, width = g.N * L, rows = g.C * g.kh * g.kw;
  CZ_CUDA_LOOP(linear, total) {
    const I i = static_cast<I>(linear);
    const I col = i % width, r = i / width;
    const I row = r % rows, b = r / rows;
    const I n = col / L, l = col % L, oh = l / g.Wo, ow = l % g.Wo;
    const I c = row / (g.kh * g.kw), ki = (row / g.kw) % g.kh, kj = row % g.kw;
    const I ih = oh * g.stride - g.padding + ki, iw = ow * g.stride - g.padding + kj;
    cols[i] = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W
                  ? x[(((b * g.N + n) * g.C + c) * g.H + ih) * g.W + iw]
                  : T(0);
  }
}

// One thread per image element: out[b, n, c, h, w] += the column entries at (c, ki, kj) and the
// output position (oh, ow) with oh*s - p + ki = h and ow*s - p + kj = w, in increasing (ki, kj):
// the order in which the CPU's fold adds its rows into the pixel.
template <class T, class I>
__global__ void fold_kernel(int64_t total, const T* __restrict__ cols, ConvGeometry<I> g,
                            T* __restrict__ out) {
  const I L = g.Ho * g.Wo, width = g.N * L, taps = g.kh * g.kw;
  CZ_CUDA_LOOP(linear, total) {
    const I i = static_cast<I>(linear);
    const I w = i % g.W, h = (i / g.W) % g.H, c = (i / (g.W * g.H)) % g.C,
            image = i / (g.W * g.H * g.C);
    const I b = image / g.N, n = image % g.N;
    const T* column = cols + ((b * g.C + c) * taps) * width + n * L;  // row (c, 0, 0), image n
    T sum = out[i];
    for (I ki = 0; ki < g.kh; ++ki) {
      const I oh_s = h + g.padding - ki;  // oh * stride; decreases with ki
      if (oh_s < 0) break;
      if (oh_s % g.stride != 0 || oh_s / g.stride >= g.Ho) continue;
      const I oh = oh_s / g.stride;
      for (I kj = 0; kj < g.kw; ++kj) {
        const I ow_s = w + g.padding - kj;
        if (ow_s < 0) break;
        if (ow_s % g.stride != 0 || ow_s / g.stride >= g.Wo) continue;
        sum += column[(ki * g.kw + kj) * width + oh * g.Wo + ow_s / g.stride];
      }
    }
    out[i] = sum;
  }
}

// Whether every index the kernels compute fits in int32_t (32-bit division is several times
// faster than 64-bit on the GPU, and these kernels divide a lot): the elements of the image and
// of its columns, and the padded coordinates (h + padding, oh * stride + kernel).
inline bool fits_int32(const ConvGeometry<int64_t>& g, const Tensor& image, const Tensor& cols) {
  constexpr int64_t limit = std::numeric_limits<int32_t>::max();
  const int64_t side = std::max(g.H, g.W) + 2 * g.padding + g.stride + std::max(g.kh, g.kw);
  return image.numel() <= limit && cols.numel() <= limit && side <= limit;
}

/// cols = unfold(x) with indices of type I: launch(kernel, n, arguments...) runs
/// kernel(n, arguments...) over n elements (CudaConv.cu on a stream, the emulation on the host).
template <class T, class I, class Launch>
void unfold(Launch&& launch, const Tensor& x, const ConvGeometry<int64_t>& g, Tensor& cols) {
  if (cols.numel() == 0) return;
  launch(unfold_kernel<T, I>, cols.numel(), data<T>(x), narrowed<I>(g), data<T>(cols));
}

/// out += fold(cols) with indices of type I, launched as unfold.
template <class T, class I, class Launch>
void fold(Launch&& launch, const Tensor& cols, const ConvGeometry<int64_t>& g, Tensor& out) {
  if (out.numel() == 0) return;
  launch(fold_kernel<T, I>, out.numel(), data<T>(cols), narrowed<I>(g), data<T>(out));
}

}  // namespace cz::cuda::conv
