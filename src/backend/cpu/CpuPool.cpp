// CPU max-pooling: each window's maximum and its index in the plane, in one pass.
#include <algorithm>

#include "CpuBackend.hpp"
#include "Pool2x2.hpp"
#include "Strided.hpp"

namespace cz::cpu {

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
      if (two_by_two) {  // Conv4's pooling, done without a branch on the data
        pool_plane_2x2(plane, H, W, out_i, out_v, [](T v) { return v; });
        continue;
      }
      for (int64_t oh = 0; oh < Ho; ++oh) {
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
