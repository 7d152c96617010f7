// CUDA optimizer updates: one fused element-wise kernel per step, computed in double like the
// CPU's loops (src/backend/cpu/CpuOptim.cpp) and with its roundings: every product and sum is
// rounded on its own (no fused multiply-add), and division and sqrt are IEEE in double on both, so
// the parameters and moments are the CPU's bit for bit.
#include <cmath>

#include "CudaBackend.cuh"
#include "cezanne/tensor/HostDevice.hpp"

namespace cz::cuda {

namespace {

// The per-step constants of Adam, computed once on the host as the CPU computes them.
struct AdamConstants {
  double beta1, beta2, eps;
  double step_size;       // lr / (1 - beta1^t)
  double inv_sqrt_bias2;  // 1 / sqrt(1 - beta2^t)
  double decay;           // 1 - lr * weight_decay when decoupled, else 1
  double coupled_wd;      // weight_decay added to the gradient when not decoupled, else 0
};

template <class T>
__global__ void adam_kernel(AdamConstants k, int64_t n, T* p, const T* g, T* m, T* v) {
  CZ_CUDA_LOOP(i, n) {
    double pi = static_cast<double>(p[i]);
    const double gi = add_rn(static_cast<double>(g[i]), mul_rn(k.coupled_wd, pi));
    pi = mul_rn(pi, k.decay);
    const double mi = add_rn(mul_rn(k.beta1, static_cast<double>(m[i])), mul_rn(1.0 - k.beta1, gi));
    const double vi =
        add_rn(mul_rn(k.beta2, static_cast<double>(v[i])), mul_rn(mul_rn(1.0 - k.beta2, gi), gi));
    m[i] = static_cast<T>(mi);
    v[i] = static_cast<T>(vi);
    p[i] = static_cast<T>(pi - mul_rn(k.step_size, mi) /
                                   add_rn(mul_rn(::sqrt(vi), k.inv_sqrt_bias2), k.eps));
  }
}

template <class T>
__global__ void sgd_kernel(SgdStep s, int64_t n, T* p, const T* g, T* buffer) {
  CZ_CUDA_LOOP(i, n) {
    double d = add_rn(static_cast<double>(g[i]), mul_rn(s.weight_decay, static_cast<double>(p[i])));
    if (s.momentum != 0) {
      const double b = add_rn(mul_rn(s.momentum, static_cast<double>(buffer[i])), d);
      buffer[i] = static_cast<T>(b);
      d = s.nesterov ? add_rn(d, mul_rn(s.momentum, b)) : b;
    }
    p[i] = static_cast<T>(static_cast<double>(p[i]) - mul_rn(s.lr, d));
  }
}

}  // namespace

void CudaBackend::adam_update(const AdamStep& s, Tensor& p, const Tensor& g, Tensor& m, Tensor& v) {
  const int64_t n = p.numel();
  if (n == 0) return;
  const double bias1 = 1.0 - std::pow(s.beta1, static_cast<double>(s.t));
  const double bias2 = 1.0 - std::pow(s.beta2, static_cast<double>(s.t));
  const AdamConstants k{s.beta1,
                        s.beta2,
                        s.eps,
                        s.lr / bias1,
                        1.0 / std::sqrt(bias2),
                        s.decoupled ? 1.0 - s.lr * s.weight_decay : 1.0,
                        s.decoupled ? 0.0 : s.weight_decay};
  dispatch_floating(p.dtype(), [&](auto tag) {
    using T = decltype(tag);
    adam_kernel<T><<<blocks_for(n), kThreads, 0, stream()>>>(k, n, data<T>(p), data<T>(g),
                                                             data<T>(m), data<T>(v));
    CZ_CHECK_CUDA_LAUNCH();
  });
}

void CudaBackend::sgd_update(const SgdStep& s, Tensor& p, const Tensor& g, Tensor& buffer) {
  const int64_t n = p.numel();
  if (n == 0) return;
  dispatch_floating(p.dtype(), [&](auto tag) {
    using T = decltype(tag);
    sgd_kernel<T>
        <<<blocks_for(n), kThreads, 0, stream()>>>(s, n, data<T>(p), data<T>(g), data<T>(buffer));
    CZ_CHECK_CUDA_LAUNCH();
  });
}

}  // namespace cz::cuda
