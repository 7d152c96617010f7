// The device code of the CUDA optimizer updates (CudaOptim.cu launches them): one fused
// element-wise kernel per step, computed in double like the CPU's loops
// (src/backend/cpu/CpuOptim.cpp) and with its roundings: every product and sum is rounded on its
// own (no fused multiply-add), and division and sqrt are IEEE in double on both, so the
// parameters and moments are the CPU's bit for bit. No CUDA header of its own, so that
// tests/backend/CudaEmulation.hpp runs the same kernels on the host.
#pragma once

#include <math.h>

#include <cmath>
#include <cstdint>

#include "CudaLaunch.cuh"
#include "cezanne/backend/Backend.hpp"
#include "cezanne/tensor/HostDevice.hpp"

namespace cz::cuda::optim {

// The per-step constants of Adam, computed once on the host as the CPU computes them.
struct AdamConstants {
  double beta1, beta2, eps;
  double step_size;       // lr / (1 - beta1^t)
  double inv_sqrt_bias2;  // 1 / sqrt(1 - beta2^t)
  double decay;           // 1 - lr * weight_decay when decoupled, else 1
  double coupled_wd;      // weight_decay added to the gradient when not decoupled, else 0
};

template <class T>
__global__ void adam_kernel(int64_t n, AdamConstants k, T* p, const T* g, T* m, T* v) {
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
__global__ void sgd_kernel(int64_t n, SgdStep s, T* p, const T* g, T* buffer) {
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

/// One Adam step on p, m, v (contiguous, of p's dtype T) from g: launch(kernel, n, arguments...)
/// runs kernel(n, arguments...) over n elements (CudaOptim.cu on a stream, the emulation on the
/// host); nothing for n = 0.
template <class T, class Launch>
void adam(Launch&& launch, const AdamStep& s, Tensor& p, const Tensor& g, Tensor& m, Tensor& v) {
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
  launch(adam_kernel<T>, n, k, data<T>(p), data<T>(g), data<T>(m), data<T>(v));
}

/// One SGD step on p and its momentum buffer from g, launched as adam.
template <class T, class Launch>
void sgd(Launch&& launch, const SgdStep& s, Tensor& p, const Tensor& g, Tensor& buffer) {
  const int64_t n = p.numel();
  if (n == 0) return;
  launch(sgd_kernel<T>, n, s, data<T>(p), data<T>(g), data<T>(buffer));
}

}  // namespace cz::cuda::optim
