// CPU batch normalization with batch statistics, one (weight set, channel) pair per work item:
// the pair's N*P elements are read once from memory and then again from cache. The fused batch
// norm + 2x2 max-pool pools the normalized values as it computes them, and its backward reads the
// pooled gradient only, so neither writes nor reads a normalized tensor of the input's size.
#include <algorithm>
#include <cmath>
#include <utility>

#include "CpuBackend.hpp"
#include "Pool2x2.hpp"
#include "Strided.hpp"

namespace cz::cpu {

namespace {

// x as [B, N, C, P] (or [B, N, C, H, W], P = H * W): channel c of set b is N runs of P
// contiguous elements.
struct NormGeometry {
  int64_t B, N, C, P;
  explicit NormGeometry(const Tensor& x)
      : B(x.size(0)), N(x.size(1)), C(x.size(2)), P(x.numel() / std::max<int64_t>(B * N * C, 1)) {}
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

// The batch statistics of channel c of set b (written to mean and var) and the map they give:
// y = x * scale + shift with scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
template <class T>
struct ChannelAffine {
  T scale, shift;
};

template <class T>
ChannelAffine<T> channel_statistics(const NormGeometry& g, int64_t b, int64_t c, const T* xp, const T* gp,
                                    const T* bp, double eps, T* mean, T* var) {
  const int64_t bc = b * g.C + c;
  const double mu = channel_sum(g, b, c, [&](int64_t i) { return static_cast<double>(xp[i]); }) / g.count();
  const double v = channel_sum(g, b, c, [&](int64_t i) {
                     const double d = static_cast<double>(xp[i]) - mu;
                     return d * d;
                   }) / g.count();
  mean[bc] = static_cast<T>(mu);
  var[bc] = static_cast<T>(v);
  const double scale = (gp ? static_cast<double>(gp[bc]) : 1.0) / std::sqrt(v + eps);
  return {static_cast<T>(scale), static_cast<T>((bp ? static_cast<double>(bp[bc]) : 0.0) - mu * scale)};
}

// The gradients of channel c of set b from the sums of dy and of dy * (x - mean) over it:
// grad_gamma and grad_beta, and grad_x = a * dy - s * x + t, i.e.
// dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)) with xhat = (x - mean) * inv_std.
template <class T>
struct ChannelInputGrad {
  T a, s, t;
};

// The frame of both backward kernels: for each (set, channel) pair in parallel, sums(b, c, mean)
// gives the pair's {sum of dy, sum of dy * (x - mean)}; grad_gamma and grad_beta are written here
// and grad_x by write(b, c, {a, s, t}).
template <class T, class Sums, class Write>
void backward_channels(const NormGeometry& g, const Tensor* gamma, const Tensor& mean, const Tensor& var, double eps,
                       Tensor& grad_gamma, Tensor& grad_beta, Sums sums, Write write) {
  const T* gp = gamma ? static_cast<const T*>(gamma->raw_data()) : nullptr;
  const T* mp = static_cast<const T*>(mean.raw_data());
  const T* vp = static_cast<const T*>(var.raw_data());
  T* dg = static_cast<T*>(grad_gamma.raw_data());
  T* db = static_cast<T*>(grad_beta.raw_data());
#pragma omp parallel for if (g.parallel()) schedule(static)
  for (int64_t bc = 0; bc < g.B * g.C; ++bc) {
    const int64_t b = bc / g.C, c = bc % g.C;
    const double mu = static_cast<double>(mp[bc]), inv_std = 1.0 / std::sqrt(static_cast<double>(vp[bc]) + eps);
    const auto [sum_dy, sum_dy_centered] = sums(b, c, mu);
    const double sum_dy_xhat = inv_std * sum_dy_centered;
    db[bc] = static_cast<T>(sum_dy);
    dg[bc] = static_cast<T>(sum_dy_xhat);
    const double k = (gp ? static_cast<double>(gp[bc]) : 1.0) * inv_std;
    const double mean_dy = sum_dy / g.count(), slope = sum_dy_xhat / g.count() * inv_std;
    write(b, c,
          ChannelInputGrad<T>{static_cast<T>(k), static_cast<T>(k * slope), static_cast<T>(k * (mu * slope - mean_dy))});
  }
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
      const auto [s, t] = channel_statistics(g, b, c, xp, gp, bp, eps, mp, vp);
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
    T* dx = static_cast<T*>(grad_x.raw_data());
    backward_channels<T>(
        g, gamma, mean, var, eps, grad_gamma, grad_beta,
        [&](int64_t b, int64_t c, double mu) {
          return std::pair{channel_sum(g, b, c, [&](int64_t i) { return static_cast<double>(dy[i]); }),
                           channel_sum(g, b, c, [&](int64_t i) { return static_cast<double>(dy[i]) * (xp[i] - mu); })};
        },
        [&](int64_t b, int64_t c, const ChannelInputGrad<T>& k) {
          for (int64_t n = 0; n < g.N; ++n) {
            const int64_t base = g.run(b, n, c);
            for (int64_t p = 0; p < g.P; ++p) dx[base + p] = k.a * dy[base + p] - k.s * xp[base + p] + k.t;
          }
        });
  });
}

void CpuBackend::batch_norm_max_pool2d(const Tensor& x, const Tensor* gamma, const Tensor* beta, double eps,
                                       Tensor& y, Tensor& indices, Tensor& mean, Tensor& var) {
  const NormGeometry g(x);
  const int64_t H = x.size(3), W = x.size(4), pooled = (H / 2) * (W / 2);
  int64_t* ip = static_cast<int64_t*>(indices.raw_data());
  dispatch_floating(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* xp = static_cast<const T*>(x.raw_data());
    const T* gp = gamma ? static_cast<const T*>(gamma->raw_data()) : nullptr;
    const T* bp = beta ? static_cast<const T*>(beta->raw_data()) : nullptr;
    T* yp = static_cast<T*>(y.raw_data());
#pragma omp parallel for if (g.parallel()) schedule(static)
    for (int64_t bc = 0; bc < g.B * g.C; ++bc) {
      const int64_t b = bc / g.C, c = bc % g.C;
      const auto [s, t] = channel_statistics(g, b, c, xp, gp, bp, eps, static_cast<T*>(mean.raw_data()),
                                             static_cast<T*>(var.raw_data()));
      for (int64_t n = 0; n < g.N; ++n) {
        const int64_t plane = (b * g.N + n) * g.C + c;
        pool_plane_2x2(xp + plane * g.P, H, W, ip + plane * pooled, yp + plane * pooled,
                       [s = s, t = t](T v) { return v * s + t; });
      }
    }
  });
}

void CpuBackend::batch_norm_max_pool2d_backward(const Tensor& grad_y, const Tensor& indices, const Tensor& x,
                                                const Tensor* gamma, const Tensor& mean, const Tensor& var,
                                                double eps, Tensor& grad_x, Tensor& grad_gamma,
                                                Tensor& grad_beta) {
  const NormGeometry g(x);
  const int64_t pooled = grad_y.size(3) * grad_y.size(4);
  const int64_t* ip = static_cast<const int64_t*>(indices.raw_data());
  dispatch_floating(x.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T* dy = static_cast<const T*>(grad_y.raw_data());
    const T* xp = static_cast<const T*>(x.raw_data());
    T* dx = static_cast<T*>(grad_x.raw_data());
    // The normalized output's gradient is dy at the window maxima and zero elsewhere.
    backward_channels<T>(
        g, gamma, mean, var, eps, grad_gamma, grad_beta,
        [&](int64_t b, int64_t c, double mu) {
          double sum_dy = 0, sum_dy_centered = 0;
          for (int64_t n = 0; n < g.N; ++n) {
            const int64_t plane = (b * g.N + n) * g.C + c;
            const T* d = dy + plane * pooled;
            const int64_t* at = ip + plane * pooled;
            const T* xs = xp + plane * g.P;
            for (int64_t j = 0; j < pooled; ++j) {
              sum_dy += static_cast<double>(d[j]);
              sum_dy_centered += static_cast<double>(d[j]) * (xs[at[j]] - mu);
            }
          }
          return std::pair{sum_dy, sum_dy_centered};
        },
        [&](int64_t b, int64_t c, const ChannelInputGrad<T>& k) {
          for (int64_t n = 0; n < g.N; ++n) {
            const int64_t plane = (b * g.N + n) * g.C + c;
            const T* xs = xp + plane * g.P;
            T* out = dx + plane * g.P;
            for (int64_t p = 0; p < g.P; ++p) out[p] = k.t - k.s * xs[p];
            const T* d = dy + plane * pooled;
            const int64_t* at = ip + plane * pooled;
            for (int64_t j = 0; j < pooled; ++j) out[at[j]] = k.a * d[j] - k.s * xs[at[j]] + k.t;
          }
        });
  });
}

}  // namespace cz::cpu
