// CPU max-pooling: each window's maximum and its index in the plane, in one pass.
#include <algorithm>
#include <limits>

#include "CpuBackend.hpp"
#include "Strided.hpp"

namespace cz::cpu {

namespace {

// The running choice of a window: the first maximum of its elements, or its first NaN.
template <class T>
struct WindowMax {
  T best = -std::numeric_limits<T>::infinity();
  int64_t index = -1;
  // Returns true once a NaN is found (nothing later can replace it).
  bool take(T v, int64_t i) {
    if (v != v) {
      best = v;
      index = i;
      return true;
    }
    if (index < 0 || v > best) {
      best = v;
      index = i;
    }
    return false;
  }
};

// One output row of a 2x2, stride 2 max-pool (rows `row` and `row + W` of the plane; `base` is the
// index of row[0] in the plane). Written without branches so that it vectorizes: the selects keep
// the first maximum, as WindowMax does. Returns false, leaving the row to WindowMax, when a window
// holds a NaN (or +inf and -inf), where the first NaN must win.
template <class T>
bool pool_row_2x2(const T* __restrict row, int W, int Wo, int64_t base, int64_t* __restrict out_i,
                  T* __restrict out_v) {
  int nan = 0;
  for (int ow = 0; ow < Wo; ++ow) {
    const T a = row[2 * ow], b = row[2 * ow + 1], c = row[W + 2 * ow], d = row[W + 2 * ow + 1];
    T best = a;
    int k = 0;
    if (b > best) k = 1, best = b;
    if (c > best) k = W, best = c;
    if (d > best) k = W + 1, best = d;
    const T sum = (a + b) + (c + d);
    nan |= sum != sum;
    out_i[ow] = base + (2 * ow + k);
    out_v[ow] = best;
  }
  return !nan;
}

}  // namespace

void CpuBackend::max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding, Tensor& values,
                            Tensor& indices) {
  const int64_t H = x.size(-2), W = x.size(-1), Ho = indices.size(-2), Wo = indices.size(-1);
  const int64_t planes = x.numel() / std::max<int64_t>(H * W, 1);
  const bool two_by_two = kernel == 2 && stride == 2 && padding == 0;
  int64_t* ip = static_cast<int64_t*>(indices.raw_data());
  dispatch_floating(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* xp = static_cast<const T*>(x.raw_data());
    T* vp = static_cast<T*>(values.raw_data());
#pragma omp parallel for if (planes * H * W >= kParallelGrain) schedule(static)
    for (int64_t p = 0; p < planes; ++p) {
      const T* plane = xp + p * H * W;
      int64_t* out_i = ip + p * Ho * Wo;
      T* out_v = vp + p * Ho * Wo;
      for (int64_t oh = 0; oh < Ho; ++oh) {
        if (two_by_two && pool_row_2x2(plane + 2 * oh * W, static_cast<int>(W), static_cast<int>(Wo),
                                       2 * oh * W, out_i + oh * Wo, out_v + oh * Wo))
          continue;  // Conv4's pooling, done without a branch on the data (a NaN falls through)
        const int64_t ih0 = oh * stride - padding;
        const int64_t ki_lo = std::max<int64_t>(0, -ih0), ki_hi = std::min(kernel, H - ih0);
        for (int64_t ow = 0; ow < Wo; ++ow) {
          const int64_t iw0 = ow * stride - padding;
          const int64_t kj_lo = std::max<int64_t>(0, -iw0), kj_hi = std::min(kernel, W - iw0);
          WindowMax<T> m;
          bool nan = false;
          for (int64_t ki = ki_lo; ki < ki_hi && !nan; ++ki) {
            const int64_t base = (ih0 + ki) * W + iw0;
            for (int64_t kj = kj_lo; kj < kj_hi && !nan; ++kj) nan = m.take(plane[base + kj], base + kj);
          }
          out_i[oh * Wo + ow] = m.index;
          out_v[oh * Wo + ow] = m.best;
        }
      }
    }
  });
}

}  // namespace cz::cpu
