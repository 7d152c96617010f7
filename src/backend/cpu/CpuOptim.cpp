// CPU optimizer updates: one fused loop per range, in double precision.
#include <cmath>

#include "CpuBackend.hpp"
#include "Strided.hpp"

namespace cz::cpu {

namespace {

template <class T>
void adam_range(T* p, const T* g, T* m, T* v, int64_t n, const AdamStep& s) {
  const double bias1 = 1.0 - std::pow(s.beta1, static_cast<double>(s.t));
  const double bias2 = 1.0 - std::pow(s.beta2, static_cast<double>(s.t));
  const double step_size = s.lr / bias1;
  const double inv_sqrt_bias2 = 1.0 / std::sqrt(bias2);
  const double decay = s.decoupled ? 1.0 - s.lr * s.weight_decay : 1.0;
  const double coupled_wd = s.decoupled ? 0.0 : s.weight_decay;
  for (int64_t k = 0; k < n; ++k) {
    double pk = static_cast<double>(p[k]);
    const double gk = static_cast<double>(g[k]) + coupled_wd * pk;
    pk *= decay;
    const double mk = s.beta1 * static_cast<double>(m[k]) + (1.0 - s.beta1) * gk;
    const double vk = s.beta2 * static_cast<double>(v[k]) + (1.0 - s.beta2) * gk * gk;
    m[k] = static_cast<T>(mk);
    v[k] = static_cast<T>(vk);
    p[k] = static_cast<T>(pk - step_size * mk / (std::sqrt(vk) * inv_sqrt_bias2 + s.eps));
  }
}

template <class T>
void sgd_range(T* p, const T* g, T* buf, int64_t n, const SgdStep& s) {
  for (int64_t k = 0; k < n; ++k) {
    double d = static_cast<double>(g[k]) + s.weight_decay * static_cast<double>(p[k]);
    if (s.momentum != 0) {
      const double b = s.momentum * static_cast<double>(buf[k]) + d;
      buf[k] = static_cast<T>(b);
      d = s.nesterov ? d + s.momentum * b : b;
    }
    p[k] = static_cast<T>(static_cast<double>(p[k]) - s.lr * d);
  }
}

}  // namespace

void CpuBackend::adam_update(const AdamStep& s, Tensor& p, const Tensor& g, Tensor& m, Tensor& v) {
  dispatch_floating(p.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    adam_range(static_cast<T*>(p.raw_data()), static_cast<const T*>(g.raw_data()),
               static_cast<T*>(m.raw_data()), static_cast<T*>(v.raw_data()), p.numel(), s);
  });
}

void CpuBackend::sgd_update(const SgdStep& s, Tensor& p, const Tensor& g, Tensor& buffer) {
  dispatch_floating(p.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    sgd_range(static_cast<T*>(p.raw_data()), static_cast<const T*>(g.raw_data()),
              static_cast<T*>(buffer.raw_data()), p.numel(), s);
  });
}

}  // namespace cz::cpu
