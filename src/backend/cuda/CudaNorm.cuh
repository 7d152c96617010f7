// The device code of the CUDA batch norm kernels, alone and fused with Conv4's 2x2 max-pool
// (CudaNorm.cu launches them). No CUDA header of its own: nvcc compiles it within CudaNorm.cu, and
// tests/backend/CudaEmulation.hpp runs the same kernels on the host, on machines without a GPU.
//
// One block per (weight set, channel) pair: its threads walk the pair's N runs of P elements,
// sum in double and meet in a fixed reduction tree (no atomics), so the statistics are the same
// bits on every run; they differ from the CPU's (src/backend/cpu/CpuNorm.cpp, eight partial sums
// in order) only by the order of the sums. Everything else is written as the CPU writes it, with
// every product and sum rounded on its own (HostDevice.hpp): given the same statistics, the
// outputs, the pooled maxima and their indices are the CPU's bit for bit. The fused kernels
// neither write nor read a normalized tensor of the input's size.
#pragma once

#include <math.h>

#include <cstdint>

#include "cezanne/tensor/HostDevice.hpp"

namespace cz::cuda::norm {

// Threads per (set, channel) block: a multiple of the warp size, at most 32 warps.
inline constexpr int kNormThreads = 512;
inline constexpr int kWarps = kNormThreads / 32;

// x as [B, N, C, P] (or [B, N, C, H, W], P = H * W): channel c of set b is N runs of P
// contiguous elements, C * P apart.
struct NormGeometry {
  int64_t B, N, C, P;
  __device__ int64_t run(int64_t b, int64_t n, int64_t c) const {
    return ((b * N + n) * C + c) * P;
  }
  __device__ double count() const { return static_cast<double>(N * P); }
};

// Calls f(n, p) for this thread's share of N runs of P positions: positions t, t + blockDim.x,
// t + 2 * blockDim.x, ... of the N * P in row-major order (neighbouring threads read neighbouring
// elements), stepping (n, p) without a division per element.
template <class F>
__device__ void for_each_in_channel(int64_t N, int64_t P, F f) {
  if (P == 0) return;
  const int64_t dn = blockDim.x / P, dp = blockDim.x % P;
  int64_t n = threadIdx.x / P, p = threadIdx.x % P;
  while (n < N) {
    f(n, p);
    n += dn;
    p += dp;
    if (p >= P) {
      p -= P;
      ++n;
    }
  }
}

// Two sums carried together (plain, so that it may live in __shared__ memory).
struct Sums {
  double first, second;
};

__device__ inline Sums warp_sum(Sums v) {
  for (int offset = 16; offset > 0; offset /= 2) {
    v.first += __shfl_down_sync(0xffffffffu, v.first, offset);
    v.second += __shfl_down_sync(0xffffffffu, v.second, offset);
  }
  return v;
}

// The block's total of every thread's sums, returned to every thread: each warp's sums by a
// shuffle tree, then the warps' by warp 0, a fixed order. Every thread of the block must call it.
// shared holds kWarps + 1 entries; a second call may follow at once, since its writes to
// shared[0, kWarps) come after every thread has left the first call's reads of them, and its
// write of shared[kWarps] after its own first barrier, which every thread reaches only after
// reading the first call's total.
__device__ inline Sums block_sum(Sums v, Sums* shared) {
  v = warp_sum(v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = warp_sum(lane < kWarps ? shared[lane] : Sums{0, 0});
    if (lane == 0) shared[kWarps] = v;
  }
  __syncthreads();
  return shared[kWarps];
}

// The map of the normalized output, y = x * scale + shift (in T, as the CPU computes it).
template <class T>
struct ChannelAffine {
  T scale, shift;
  __device__ T operator()(T x) const { return add_rn(mul_rn(x, scale), shift); }
};

// The batch statistics of channel c of set b, two passes in double as on the CPU (written to
// mean[bc] and var[bc]), and the map they give: scale = gamma / sqrt(var + eps),
// shift = beta - mean * scale.
template <class T>
__device__ ChannelAffine<T> channel_statistics(const NormGeometry& g, int64_t b, int64_t c,
                                               const T* x, const T* gamma, const T* beta,
                                               double eps, T* mean, T* var, Sums* shared) {
  const int64_t bc = b * g.C + c, first = g.run(b, 0, c), run_stride = g.C * g.P;
  Sums part{0, 0};
  for_each_in_channel(g.N, g.P, [&](int64_t n, int64_t p) {
    part.first += static_cast<double>(x[first + n * run_stride + p]);
  });
  const double mu = block_sum(part, shared).first / g.count();
  part = Sums{0, 0};
  for_each_in_channel(g.N, g.P, [&](int64_t n, int64_t p) {
    const double d = static_cast<double>(x[first + n * run_stride + p]) - mu;
    part.first += d * d;
  });
  const double v = block_sum(part, shared).first / g.count();
  if (threadIdx.x == 0) {
    mean[bc] = static_cast<T>(mu);
    var[bc] = static_cast<T>(v);
  }
  const double scale = (gamma ? static_cast<double>(gamma[bc]) : 1.0) / ::sqrt(v + eps);
  return {static_cast<T>(scale),
          static_cast<T>((beta ? static_cast<double>(beta[bc]) : 0.0) - mul_rn(mu, scale))};
}

// The gradients of channel bc from the sums of dy and of dy * (x - mean) over it: grad_gamma and
// grad_beta (written here) and grad_x = a * dy - s * x + t, i.e.
// dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)) with xhat = (x - mean) * inv_std.
template <class T>
struct ChannelInputGrad {
  T a, s, t;
  __device__ T operator()(T dy, T x) const {
    return add_rn(add_rn(mul_rn(a, dy), -mul_rn(s, x)), t);
  }
  // Where dy is zero (off the window maxima), written t - s * x as the CPU writes it.
  __device__ T without_dy(T x) const { return add_rn(t, -mul_rn(s, x)); }
};

template <class T>
__device__ ChannelInputGrad<T> input_grad(Sums sums, int64_t bc, double count, const T* gamma,
                                          double mu, const T* var, double eps, T* grad_gamma,
                                          T* grad_beta) {
  const double inv_std = 1.0 / ::sqrt(static_cast<double>(var[bc]) + eps);
  const double sum_dy = sums.first, sum_dy_xhat = inv_std * sums.second;
  if (threadIdx.x == 0) {
    grad_beta[bc] = static_cast<T>(sum_dy);
    grad_gamma[bc] = static_cast<T>(sum_dy_xhat);
  }
  const double k = (gamma ? static_cast<double>(gamma[bc]) : 1.0) * inv_std;
  const double mean_dy = sum_dy / count, slope = sum_dy_xhat / count * inv_std;
  return {static_cast<T>(k), static_cast<T>(k * slope),
          static_cast<T>(k * add_rn(mul_rn(mu, slope), -mean_dy))};
}

template <class T>
__global__ void batch_norm_kernel(NormGeometry g, const T* x, const T* gamma, const T* beta,
                                  double eps, T* y, T* mean, T* var) {
  __shared__ Sums shared[kWarps + 1];
  for (int64_t bc = blockIdx.x; bc < g.B * g.C; bc += gridDim.x) {
    const int64_t b = bc / g.C, c = bc % g.C, first = g.run(b, 0, c), run_stride = g.C * g.P;
    const ChannelAffine<T> normalized =
        channel_statistics(g, b, c, x, gamma, beta, eps, mean, var, shared);
    for_each_in_channel(g.N, g.P, [&](int64_t n, int64_t p) {
      const int64_t i = first + n * run_stride + p;
      y[i] = normalized(x[i]);
    });
  }
}

template <class T>
__global__ void batch_norm_backward_kernel(NormGeometry g, const T* dy, const T* x, const T* gamma,
                                           const T* mean, const T* var, double eps, T* dx,
                                           T* grad_gamma, T* grad_beta) {
  __shared__ Sums shared[kWarps + 1];
  for (int64_t bc = blockIdx.x; bc < g.B * g.C; bc += gridDim.x) {
    const int64_t b = bc / g.C, c = bc % g.C, first = g.run(b, 0, c), run_stride = g.C * g.P;
    const double mu = static_cast<double>(mean[bc]);
    Sums part{0, 0};
    for_each_in_channel(g.N, g.P, [&](int64_t n, int64_t p) {
      const int64_t i = first + n * run_stride + p;
      const double d = static_cast<double>(dy[i]);
      part.first += d;
      part.second += d * (static_cast<double>(x[i]) - mu);
    });
    const ChannelInputGrad<T> k = input_grad(block_sum(part, shared), bc, g.count(), gamma, mu, var,
                                             eps, grad_gamma, grad_beta);
    for_each_in_channel(g.N, g.P, [&](int64_t n, int64_t p) {
      const int64_t i = first + n * run_stride + p;
      dx[i] = k(dy[i], x[i]);
    });
  }
}

// Plane geometry of the fused kernels: [H, W] planes (H * W < 2^31, checked by the launcher),
// pooled into [H / 2, W / 2]; a last odd row or column is dropped.
struct PoolGeometry {
  int H, W, Wo, Q;  // Q = (H / 2) * Wo pooled positions per plane
};

template <class T>
__global__ void batch_norm_max_pool2d_kernel(NormGeometry g, PoolGeometry pg, const T* x,
                                             const T* gamma, const T* beta, double eps, T* y,
                                             int64_t* indices, T* mean, T* var) {
  __shared__ Sums shared[kWarps + 1];
  for (int64_t bc = blockIdx.x; bc < g.B * g.C; bc += gridDim.x) {
    const int64_t b = bc / g.C, c = bc % g.C;
    const ChannelAffine<T> normalized =
        channel_statistics(g, b, c, x, gamma, beta, eps, mean, var, shared);
    for_each_in_channel(g.N, pg.Q, [&](int64_t n, int64_t q) {
      const int64_t plane = (b * g.N + n) * g.C + c;
      const T* xs = x + plane * g.P;
      const int oh = static_cast<int>(q) / pg.Wo, ow = static_cast<int>(q) - oh * pg.Wo;
      const int corner = 2 * oh * pg.W + 2 * ow;
      const int window[4] = {corner, corner + 1, corner + pg.W, corner + pg.W + 1};
      // The window's first maximum, or its first NaN (Pool2x2.hpp's WindowMax).
      T best = normalized(xs[window[0]]);
      int at = window[0];
      bool nan = best != best;
      for (int k = 1; k < 4 && !nan; ++k) {
        const T v = normalized(xs[window[k]]);
        nan = v != v;
        if (nan || v > best) {
          best = v;
          at = window[k];
        }
      }
      y[plane * pg.Q + q] = best;
      indices[plane * pg.Q + q] = at;
    });
  }
}

// The normalized output's gradient is dy at the window maxima and zero elsewhere. Each element
// of x finds its window's pooled position and asks whether it is the recorded maximum, so every
// element is written once, by one thread; this needs the indices the forward recorded (each
// inside its own window).
template <class T>
__global__ void batch_norm_max_pool2d_backward_kernel(NormGeometry g, PoolGeometry pg, const T* dy,
                                                      const int64_t* indices, const T* x,
                                                      const T* gamma, const T* mean, const T* var,
                                                      double eps, T* dx, T* grad_gamma,
                                                      T* grad_beta) {
  __shared__ Sums shared[kWarps + 1];
  for (int64_t bc = blockIdx.x; bc < g.B * g.C; bc += gridDim.x) {
    const int64_t b = bc / g.C, c = bc % g.C;
    const double mu = static_cast<double>(mean[bc]);
    Sums part{0, 0};
    for_each_in_channel(g.N, pg.Q, [&](int64_t n, int64_t q) {
      const int64_t plane = (b * g.N + n) * g.C + c, j = plane * pg.Q + q;
      const double d = static_cast<double>(dy[j]);
      part.first += d;
      part.second += d * (static_cast<double>(x[plane * g.P + indices[j]]) - mu);
    });
    const ChannelInputGrad<T> k = input_grad(block_sum(part, shared), bc, g.count(), gamma, mu, var,
                                             eps, grad_gamma, grad_beta);
    const int Ho = pg.Q / pg.Wo;
    for_each_in_channel(g.N, g.P, [&](int64_t n, int64_t p) {
      const int64_t plane = (b * g.N + n) * g.C + c, i = plane * g.P + p;
      const int h = static_cast<int>(p) / pg.W, w = static_cast<int>(p) - h * pg.W;
      if (h < 2 * Ho && w < 2 * pg.Wo) {
        const int64_t j = plane * pg.Q + (h / 2) * pg.Wo + w / 2;
        if (indices[j] == p) {
          dx[i] = k(dy[j], x[i]);
          return;
        }
      }
      dx[i] = k.without_dy(x[i]);
    });
  }
}

}  // namespace cz::cuda::norm
