// CPU batch normalization with batch statistics, one (weight set, channel) pair per work item:
// the pair's N*P elements are read once from memory and then again from cache.
#include <cmath>

#include "CpuBackend.hpp"
#include "Strided.hpp"

namespace cz::cpu {

namespace {

// x as [B, N, C, P]: channel c of set b is N runs of P contiguous elements.
struct NormGeometry {
  int64_t B, N, C, P;
  explicit NormGeometry(const Tensor& x) : B(x.size(0)), N(x.size(1)), C(x.size(2)), P(x.size(3)) {}
  int64_t run(int64_t b, int64_t n, int64_t c) const { return ((b * N + n) * C + c) * P; }
  double count() const { return static_cast<double>(N * P); }
  bool parallel() const { return B * N * C * P >= kParallelGrain; }
};

// Sum of f(i) over the elements i of one channel, in double with eight partial sums (a fixed order).
template <class F>
double channel_sum(const NormGeometry& g, int64_t b, int64_t c, F f) {
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t n = 0; n < g.N; ++n) {
    const int64_t base = g.run(b, n, c);
    int64_t p = 0;
    for (; p + 8 <= g.P; p += 8)
      for (int u = 0; u < 8; ++u) part[u] += f(base + p + u);
    for (; p < g.P; ++p) part[0] += f(base + p);
  }
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

}  // namespace

void CpuBackend::batch_norm(const Tensor& x, const Tensor* gamma, const Tensor* beta, double eps, Tensor& y,
                            Tensor& mean, Tensor& var) {
  const NormGeometry g(x);
  dispatch_floating(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* xp = static_cast<const T*>(x.raw_data());
    const T* gp = gamma ? static_cast<const T*>(gamma->raw_data()) : nullptr;
    const T* bp = beta ? static_cast<const T*>(beta->raw_data()) : nullptr;
    T* yp = static_cast<T*>(y.raw_data());
    T* mp = static_cast<T*>(mean.raw_data());
    T* vp = static_cast<T*>(var.raw_data());
#pragma omp parallel for if (g.parallel()) schedule(static)
    for (int64_t bc = 0; bc < g.B * g.C; ++bc) {
      const int64_t b = bc / g.C, c = bc % g.C;
      const double mu = channel_sum(g, b, c, [&](int64_t i) { return static_cast<double>(xp[i]); }) / g.count();
      const double v = channel_sum(g, b, c, [&](int64_t i) {
                         const double d = static_cast<double>(xp[i]) - mu;
                         return d * d;
                       }) / g.count();
      mp[bc] = static_cast<T>(mu);
      vp[bc] = static_cast<T>(v);
      // y = x * scale + shift with scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
      const double scale = (gp ? static_cast<double>(gp[bc]) : 1.0) / std::sqrt(v + eps);
      const T s = static_cast<T>(scale), t = static_cast<T>((bp ? static_cast<double>(bp[bc]) : 0.0) - mu * scale);
      for (int64_t n = 0; n < g.N; ++n) {
        const int64_t base = g.run(b, n, c);
        for (int64_t p = 0; p < g.P; ++p) yp[base + p] = xp[base + p] * s + t;
      }
    }
  });
}

void CpuBackend::batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor* gamma, const Tensor& mean,
                                     const Tensor& var, double eps, Tensor& grad_x, Tensor& grad_gamma,
                                     Tensor& grad_beta) {
  const NormGeometry g(x);
  dispatch_floating(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* dy = static_cast<const T*>(grad_y.raw_data());
    const T* xp = static_cast<const T*>(x.raw_data());
    const T* gp = gamma ? static_cast<const T*>(gamma->raw_data()) : nullptr;
    const T* mp = static_cast<const T*>(mean.raw_data());
    const T* vp = static_cast<const T*>(var.raw_data());
    T* dx = static_cast<T*>(grad_x.raw_data());
    T* dg = static_cast<T*>(grad_gamma.raw_data());
    T* db = static_cast<T*>(grad_beta.raw_data());
#pragma omp parallel for if (g.parallel()) schedule(static)
    for (int64_t bc = 0; bc < g.B * g.C; ++bc) {
      const int64_t b = bc / g.C, c = bc % g.C;
      const double mu = static_cast<double>(mp[bc]), inv_std = 1.0 / std::sqrt(static_cast<double>(vp[bc]) + eps);
      const double sum_dy = channel_sum(g, b, c, [&](int64_t i) { return static_cast<double>(dy[i]); });
      const double sum_dy_xhat =
          inv_std * channel_sum(g, b, c, [&](int64_t i) { return static_cast<double>(dy[i]) * (xp[i] - mu); });
      db[bc] = static_cast<T>(sum_dy);
      dg[bc] = static_cast<T>(sum_dy_xhat);
      // dx = gamma*inv_std * (dy - mean(dy) - xhat * mean(dy*xhat)), xhat = (x - mu)*inv_std
      const double k = (gp ? static_cast<double>(gp[bc]) : 1.0) * inv_std;
      const double mean_dy = sum_dy / g.count(), slope = sum_dy_xhat / g.count() * inv_std;
      const T a = static_cast<T>(k), s = static_cast<T>(k * slope), t = static_cast<T>(k * (mu * slope - mean_dy));
      // dx = a*dy - s*x + t
      for (int64_t n = 0; n < g.N; ++n) {
        const int64_t base = g.run(b, n, c);
        for (int64_t p = 0; p < g.P; ++p) dx[base + p] = a * dy[base + p] - s * xp[base + p] + t;
      }
    }
  });
}

}  // namespace cz::cpu
