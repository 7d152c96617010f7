// CPU convolution: im2col / col2im, and conv2d with its two gradients computed one image at a
// time (the image's columns stay in cache; each thread runs single-threaded GEMMs on its own
// images).
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "Blas.hpp"
#include "CpuBackend.hpp"
#include "Strided.hpp"

namespace cz::cpu {

namespace {

struct ConvGeometry {
  int64_t batch, N, C, H, W, kh, kw, stride, padding, Ho, Wo;
  int64_t rows() const { return C * kh * kw; }  // rows of one image's columns
  int64_t L() const { return Ho * Wo; }         // columns of one image
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

// im2col of one image [C, H, W]: row (c, ki, kj) of the columns starts at cols + row*ld.
template <class T>
void unfold_image(const T* __restrict image, const ConvGeometry& g, T* __restrict cols, int64_t ld) {
  for (int64_t row = 0; row < g.rows(); ++row) {
    const int64_t c = row / (g.kh * g.kw), ki = (row / g.kw) % g.kh, kj = row % g.kw;
    const ValidRange rr = valid_range(g.Ho, g.H, g.stride, g.padding, ki);
    const ValidRange cr = valid_range(g.Wo, g.W, g.stride, g.padding, kj);
    T* dst = cols + row * ld;
    std::fill(dst, dst + rr.lo * g.Wo, T(0));  // output rows above and below the image
    std::fill(dst + rr.hi * g.Wo, dst + g.Ho * g.Wo, T(0));
    if (g.stride == 1 && g.Wo == g.W) {
      // A "same" convolution: the row is the image plane shifted by `offset` elements, so copy
      // it in one piece, then zero the elements that wrapped around from the neighbouring row.
      const T* plane = image + c * g.H * g.W;
      const int64_t shift = kj - g.padding, offset = (ki - g.padding) * g.W + shift;
      const int64_t lo = std::max(rr.lo * g.W, -offset), hi = std::min(rr.hi * g.W, g.H * g.W - offset);
      std::fill(dst + rr.lo * g.W, dst + lo, T(0));
      std::copy(plane + lo + offset, plane + hi + offset, dst + lo);
      std::fill(dst + hi, dst + rr.hi * g.W, T(0));
      for (int64_t oh = rr.lo; oh < rr.hi; ++oh) {
        T* drow = dst + oh * g.W;
        if (shift > 0) std::fill(drow + g.W - shift, drow + g.W, T(0));
        if (shift < 0) std::fill(drow, drow - shift, T(0));
      }
      continue;
    }
    const T* src = image + c * g.H * g.W + (rr.lo * g.stride - g.padding + ki) * g.W - g.padding + kj;
    for (int64_t oh = rr.lo; oh < rr.hi; ++oh, src += g.stride * g.W) {
      T* drow = dst + oh * g.Wo;
      for (int64_t ow = 0; ow < cr.lo; ++ow) drow[ow] = T(0);
      if (g.stride == 1) {
        for (int64_t ow = cr.lo; ow < cr.hi; ++ow) drow[ow] = src[ow];
      } else {
        for (int64_t ow = cr.lo; ow < cr.hi; ++ow) drow[ow] = src[ow * g.stride];
      }
      for (int64_t ow = cr.hi; ow < g.Wo; ++ow) drow[ow] = T(0);
    }
  }
}

// col2im of one image: adds the columns (row stride ld) into image [C, H, W].
template <class T>
void fold_image(const T* cols, int64_t ld, const ConvGeometry& g, T* image) {
  for (int64_t row = 0; row < g.rows(); ++row) {
    const int64_t c = row / (g.kh * g.kw), ki = (row / g.kw) % g.kh, kj = row % g.kw;
    const ValidRange rr = valid_range(g.Ho, g.H, g.stride, g.padding, ki);
    const ValidRange cr = valid_range(g.Wo, g.W, g.stride, g.padding, kj);
    T* plane = image + c * g.H * g.W;
    const T* src = cols + row * ld;
    for (int64_t oh = rr.lo; oh < rr.hi; ++oh) {
      T* prow = plane + (oh * g.stride - g.padding + ki) * g.W - g.padding + kj;
      const T* srow = src + oh * g.Wo;
      if (g.stride == 1) {
        for (int64_t ow = cr.lo; ow < cr.hi; ++ow) prow[ow] += srow[ow];
      } else {
        for (int64_t ow = cr.lo; ow < cr.hi; ++ow) prow[ow * g.stride] += srow[ow];
      }
    }
  }
}

// Whether a per-image loop of this much work should run on all threads.
bool parallel_images(const ConvGeometry& g) { return g.batch * g.N > 1 && g.batch * g.N * g.rows() * g.L() >= kParallelGrain; }

// The images of one weight set are taken in groups of `size` (the last may be smaller), so that
// a group's GEMM has about kGroupColumns columns: one image when its output is large, several
// when it is small. Groups are evened out over the threads.
constexpr int64_t kGroupColumns = 256;

struct ImageGroups {
  int64_t per_batch, size;  // groups per weight set, images per group
};

ImageGroups image_groups(const ConvGeometry& g, int threads) {
  const int64_t wanted = std::max<int64_t>(1, kGroupColumns / g.L());  // images per group
  int64_t per_batch = (g.N + wanted - 1) / wanted;
  while ((g.batch * per_batch) % threads != 0 && per_batch < g.N) ++per_batch;
  const int64_t size = (g.N + per_batch - 1) / per_batch;
  return {(g.N + size - 1) / size, size};
}

// One group of images: weight set b, images [n0, n0 + count) of it.
struct Group {
  int64_t b, n0, count;
};

Group group_at(const ConvGeometry& g, const ImageGroups& groups, int64_t i) {
  const int64_t b = i / groups.per_batch, n0 = (i % groups.per_batch) * groups.size;
  return {b, n0, std::min(groups.size, g.N - n0)};
}

int kernel_threads(const ConvGeometry& g) { return parallel_images(g) ? std::max(1, omp_get_max_threads()) : 1; }

// A group's im2col: image j's columns start at column j*L of rows of length count*L.
template <class T>
void unfold_group(const T* x, const ConvGeometry& g, const Group& grp, T* cols) {
  for (int64_t j = 0; j < grp.count; ++j)
    unfold_image(x + (grp.b * g.N + grp.n0 + j) * g.C * g.H * g.W, g, cols + j * g.L(), grp.count * g.L());
}

// The group's output gradients [count, F, L] as one [F, count*L] matrix (its row stride in ld):
// in place for one image, gathered into buf otherwise.
template <class T>
const T* gather_group(const T* grad, const ConvGeometry& g, int64_t F, const Group& grp, T* buf) {
  const T* first = grad + (grp.b * g.N + grp.n0) * F * g.L();
  if (grp.count == 1) return first;
  for (int64_t f = 0; f < F; ++f)
    for (int64_t j = 0; j < grp.count; ++j)
      std::copy(first + (j * F + f) * g.L(), first + (j * F + f + 1) * g.L(), buf + (f * grp.count + j) * g.L());
  return buf;
}

// Calls body(group, cols, buf) for every image group, on `threads` threads; each thread owns a
// column buffer [rows, size*L] and a group buffer [F, size*L] (empty when groups are single images).
template <class T, class Body>
void for_each_group(const ConvGeometry& g, int64_t F, int threads, Body body) {
  const ImageGroups groups = image_groups(g, threads);
#pragma omp parallel num_threads(threads)
  {
    std::vector<T> cols(static_cast<size_t>(g.rows() * groups.size * g.L()));
    std::vector<T> buf(groups.size > 1 ? static_cast<size_t>(F * groups.size * g.L()) : 0);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < g.batch * groups.per_batch; ++i) body(group_at(g, groups, i), cols.data(), buf.data());
  }
}

}  // namespace

void CpuBackend::unfold(const Tensor& x, int64_t kh, int64_t kw, int64_t stride, int64_t padding, Tensor& cols) {
  const ConvGeometry g = geometry(x.shape(), kh, kw, stride, padding);
  dispatch_floating(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* xp = static_cast<const T*>(x.raw_data());
    T* cp = static_cast<T*>(cols.raw_data());
#pragma omp parallel for if (parallel_images(g)) schedule(static)
    for (int64_t i = 0; i < g.batch * g.N; ++i) {
      const int64_t b = i / g.N, n = i % g.N;
      unfold_image(xp + i * g.C * g.H * g.W, g, cp + b * g.rows() * g.N * g.L() + n * g.L(), g.N * g.L());
    }
  });
}

void CpuBackend::fold(const Tensor& cols, int64_t kh, int64_t kw, int64_t stride, int64_t padding, Tensor& out) {
  const ConvGeometry g = geometry(out.shape(), kh, kw, stride, padding);
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* cp = static_cast<const T*>(cols.raw_data());
    T* op = static_cast<T*>(out.raw_data());
    // Each image is written by one thread: no races.
#pragma omp parallel for if (parallel_images(g)) schedule(static)
    for (int64_t i = 0; i < g.batch * g.N; ++i) {
      const int64_t b = i / g.N, n = i % g.N;
      fold_image(cp + b * g.rows() * g.N * g.L() + n * g.L(), g.N * g.L(), g, op + i * g.C * g.H * g.W);
    }
  });
}

void CpuBackend::conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, int64_t stride, int64_t padding,
                        Tensor& out) {
  const ConvGeometry g = geometry(x.shape(), weight.size(-2), weight.size(-1), stride, padding);
  const int64_t F = weight.size(-4), L = g.L();
  dispatch_floating(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* xp = static_cast<const T*>(x.raw_data());
    const T* wp = static_cast<const T*>(weight.raw_data());
    const T* bp = bias ? static_cast<const T*>(bias->raw_data()) : nullptr;
    T* op = static_cast<T*>(out.raw_data());
    for_each_group<T>(g, F, kernel_threads(g), [&](const Group& grp, T* cols, T* product) {
      const int64_t width = grp.count * L;
      const T* w = wp + grp.b * F * g.rows();
      T* y = op + (grp.b * g.N + grp.n0) * F * L;
      unfold_group(xp, g, grp, cols);
      if (grp.count == 1) {  // straight into the output, bias first
        if (bp)
          for (int64_t f = 0; f < F; ++f) std::fill(y + f * L, y + (f + 1) * L, bp[grp.b * F + f]);
        blas_gemm(false, false, F, L, g.rows(), w, g.rows(), cols, L, bp ? T(1) : T(0), y, L);
        return;
      }
      blas_gemm(false, false, F, width, g.rows(), w, g.rows(), cols, width, T(0), product, width);
      for (int64_t j = 0; j < grp.count; ++j)
        for (int64_t f = 0; f < F; ++f) {
          const T shift = bp ? bp[grp.b * F + f] : T(0);
          const T* src = product + f * width + j * L;
          T* dst = y + (j * F + f) * L;
          for (int64_t l = 0; l < L; ++l) dst[l] = src[l] + shift;
        }
    });
  });
}

void CpuBackend::conv2d_input_grad(const Tensor& grad_out, const Tensor& weight, int64_t stride, int64_t padding,
                                   Tensor& grad_x) {
  const ConvGeometry g = geometry(grad_x.shape(), weight.size(-2), weight.size(-1), stride, padding);
  const int64_t F = weight.size(-4), L = g.L(), image = g.C * g.H * g.W;
  dispatch_floating(grad_x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* gp = static_cast<const T*>(grad_out.raw_data());
    const T* wp = static_cast<const T*>(weight.raw_data());
    T* dp = static_cast<T*>(grad_x.raw_data());
    for_each_group<T>(g, F, kernel_threads(g), [&](const Group& grp, T* cols, T* gathered) {
      const int64_t width = grp.count * L;
      // columns = weight^T [rows, F] @ grad_out [F, count*L], then col2im into each image.
      blas_gemm(true, false, g.rows(), width, F, wp + grp.b * F * g.rows(), g.rows(),
                gather_group(gp, g, F, grp, gathered), width, T(0), cols, width);
      T* first = dp + (grp.b * g.N + grp.n0) * image;
      std::fill(first, first + grp.count * image, T(0));
      for (int64_t j = 0; j < grp.count; ++j) fold_image(cols + j * L, width, g, first + j * image);
    });
  });
}

void CpuBackend::conv2d_weight_grad(const Tensor& x, const Tensor& grad_out, int64_t stride, int64_t padding,
                                    Tensor& grad_weight) {
  const ConvGeometry g = geometry(x.shape(), grad_weight.size(-2), grad_weight.size(-1), stride, padding);
  const int64_t F = grad_weight.size(-4), L = g.L(), size = g.batch * F * g.rows();
  const int threads = kernel_threads(g);
  dispatch_floating(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* xp = static_cast<const T*>(x.raw_data());
    const T* gp = static_cast<const T*>(grad_out.raw_data());
    T* dp = static_cast<T*>(grad_weight.raw_data());
    // One accumulator per thread (thread 0 accumulates into grad_weight itself), summed at the
    // end in a fixed order: the result depends on the thread count, not on scheduling.
    std::vector<T> partial(static_cast<size_t>((threads - 1) * size), T(0));
    std::fill(dp, dp + size, T(0));
    for_each_group<T>(g, F, threads, [&](const Group& grp, T* cols, T* gathered) {
      const int t = omp_get_thread_num();
      T* acc = (t == 0 ? dp : partial.data() + (t - 1) * size) + grp.b * F * g.rows();
      // grad_weight[b] += grad_out [F, count*L] @ columns^T [count*L, rows]
      const int64_t width = grp.count * L;
      unfold_group(xp, g, grp, cols);
      blas_gemm(false, true, F, g.rows(), width, gather_group(gp, g, F, grp, gathered), width, cols, width, T(1), acc,
                g.rows());
    });
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t j = 0; j < size; ++j)
      for (int u = 1; u < threads; ++u) dp[j] += partial[static_cast<size_t>((u - 1) * size + j)];
  });
}

}  // namespace cz::cpu
