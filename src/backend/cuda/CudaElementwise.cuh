// The device code of the CUDA element-wise kernels (CudaElementwise.cu launches them) and the
// host-side choice of kernel and layout they share with the tests. No CUDA header of its own: nvcc
// compiles it within CudaElementwise.cu, and tests/backend/CudaEmulation.hpp runs the same
// kernels on the host, on machines without a GPU.
//
// Each op is a functor applied by one of three grid-stride kernels, chosen on the host after the
// dims are coalesced as the CPU's for_each_row does: every operand contiguous (one index for
// all), every operand one strided run (a broadcast scalar, a strided slice), or any layout (one
// decomposition of the linear index, shared by all operands). The functors mirror
// src/backend/cpu/CpuElementwise.cpp expression for expression, so that a result equals the
// CPU's bit for bit except where the device's math library rounds differently from glibc (exp,
// log, tanh, erf, pow: within a few ulp).
#pragma once

#include <math.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>

#include "CudaLaunch.cuh"
#include "cezanne/backend/Backend.hpp"
#include "cezanne/tensor/HostDevice.hpp"

namespace cz::cuda::elementwise {

/// The layout of K operands (0: the output) after coalescing.
template <int K>
struct Layout {
  int dims = 0;
  int64_t shape[Indexer::kMaxDims] = {};
  int64_t strides[K][Indexer::kMaxDims] = {};

  /// Every operand's element offset of row-major linear index `linear`.
  __device__ void offsets(int64_t linear, int64_t (&off)[K]) const {
    for (int k = 0; k < K; ++k) off[k] = 0;
    for (int d = dims - 1; d >= 0; --d) {
      const int64_t i = linear % shape[d];
      linear /= shape[d];
      for (int k = 0; k < K; ++k) off[k] += i * strides[k][d];
    }
  }
};

/// Size-1 dims dropped, neighbouring dims merged where every operand steps across them as one
/// (as the CPU's for_each_row). A 0-d (one element) layout has dims == 0.
template <int K>
Layout<K> coalesce(const Shape& shape, const std::array<const Tensor*, K>& operands) {
  Layout<K> l;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (l.dims > 0) {
      bool merge = true;
      for (int k = 0; k < K; ++k)
        if (l.strides[k][l.dims - 1] != operands[k]->strides()[d] * shape[d]) merge = false;
      if (merge) {
        l.shape[l.dims - 1] *= shape[d];
        for (int k = 0; k < K; ++k) l.strides[k][l.dims - 1] = operands[k]->strides()[d];
        continue;
      }
    }
    if (l.dims == Indexer::kMaxDims)
      throw ShapeError("cuda backend: an element-wise op on more than " +
                       std::to_string(Indexer::kMaxDims) + " dims that do not coalesce, shape " +
                       shape_str(shape));
    l.shape[l.dims] = shape[d];
    for (int k = 0; k < K; ++k) l.strides[k][l.dims] = operands[k]->strides()[d];
    ++l.dims;
  }
  return l;
}

/// The output and N inputs of one launch (N = 0: fill).
template <class TO, class TI, int N>
struct Pointers {
  TO* out;
  const TI* in[N > 0 ? N : 1];
};

/// out[off[0]] = f(in[0][off[1]], ..., in[N-1][off[N]]).
template <class F, class TO, class TI, int N>
__device__ __forceinline__ void apply(const F& f, const Pointers<TO, TI, N>& p,
                                      const int64_t (&off)[N + 1]) {
  if constexpr (N == 0) {
    p.out[off[0]] = f();
  } else if constexpr (N == 1) {
    p.out[off[0]] = f(p.in[0][off[1]]);
  } else if constexpr (N == 2) {
    p.out[off[0]] = f(p.in[0][off[1]], p.in[1][off[2]]);
  } else {
    static_assert(N == 3);
    p.out[off[0]] = f(p.in[0][off[1]], p.in[1][off[2]], p.in[2][off[3]]);
  }
}

template <class F, class TO, class TI, int N>
__global__ void map_contiguous(int64_t n, Pointers<TO, TI, N> p, F f) {
  CZ_CUDA_LOOP(i, n) {
    int64_t off[N + 1];
    for (int k = 0; k <= N; ++k) off[k] = i;
    apply(f, p, off);
  }
}

/// One run: operand k's element i is at i * stride[k] (0: broadcast).
template <int K>
struct Run {
  int64_t stride[K];
};

template <class F, class TO, class TI, int N>
__global__ void map_strided(int64_t n, Pointers<TO, TI, N> p, Run<N + 1> run, F f) {
  CZ_CUDA_LOOP(i, n) {
    int64_t off[N + 1];
    for (int k = 0; k <= N; ++k) off[k] = i * run.stride[k];
    apply(f, p, off);
  }
}

template <class F, class TO, class TI, int N>
__global__ void map_layout(int64_t n, Pointers<TO, TI, N> p, Layout<N + 1> layout, F f) {
  CZ_CUDA_LOOP(i, n) {
    int64_t off[N + 1];
    layout.offsets(i, off);
    apply(f, p, off);
  }
}

// ---- the functors, as the CPU's lambdas

template <class TO, class TI>
struct Convert {
  __device__ TO operator()(TI v) const { return static_cast<TO>(v); }
};

template <class T>
struct Constant {
  T value;
  __device__ T operator()() const { return value; }
};

template <class T>
__device__ __forceinline__ T sigmoid(T x) {
  return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}

template <UnaryOp Op>
struct Unary {
  template <class T>
  __device__ T operator()(T v) const {
    if constexpr (Op == UnaryOp::neg) return -v;
    else if constexpr (Op == UnaryOp::exp) return std::exp(v);
    else if constexpr (Op == UnaryOp::log) return std::log(v);
    else if constexpr (Op == UnaryOp::sqrt) return std::sqrt(v);
    // 1 / sqrt (not the rsqrt instruction): the CPU's rounding.
    else if constexpr (Op == UnaryOp::rsqrt) return T(1) / std::sqrt(v);
    else if constexpr (Op == UnaryOp::abs) return std::abs(v);
    else if constexpr (Op == UnaryOp::sign) return T((v > 0) - (v < 0));
    else if constexpr (Op == UnaryOp::sigmoid) return sigmoid(v);
    else if constexpr (Op == UnaryOp::tanh) return std::tanh(v);
    else if constexpr (Op == UnaryOp::relu) return v > 0 ? v : T(0);
    else if constexpr (Op == UnaryOp::reciprocal) return T(1) / v;
    else if constexpr (Op == UnaryOp::square) return v * v;
    else if constexpr (Op == UnaryOp::erf) return std::erf(v);
  }
};

template <BinaryOp Op>
struct Binary {
  template <class T>
  __device__ T operator()(T x, T y) const {
    if constexpr (Op == BinaryOp::add) return x + y;
    else if constexpr (Op == BinaryOp::sub) return x - y;
    else if constexpr (Op == BinaryOp::mul) return x * y;
    else if constexpr (Op == BinaryOp::div) return x / y;
    else if constexpr (Op == BinaryOp::pow) return std::pow(x, y);
    else if constexpr (Op == BinaryOp::maximum) return x > y ? x : y;
    else if constexpr (Op == BinaryOp::minimum) return x < y ? x : y;
    else if constexpr (Op == BinaryOp::gt) return T(x > y);
    else if constexpr (Op == BinaryOp::ge) return T(x >= y);
    else if constexpr (Op == BinaryOp::lt) return T(x < y);
    else if constexpr (Op == BinaryOp::le) return T(x <= y);
    else if constexpr (Op == BinaryOp::eq) return T(x == y);
  }
};

template <class T>
struct Affine {
  T scale, shift;
  // The product and the sum rounded on their own, as the CPU computes them (no FMA).
  __device__ T operator()(T v) const { return add_rn(mul_rn(scale, v), shift); }
};

template <class T>
struct Identity {
  __device__ T operator()(T v) const { return v; }
};

template <class T>
struct PowScalar {
  T exponent;
  __device__ T operator()(T v) const { return std::pow(v, exponent); }
};

template <class T>
struct Clamp {
  T low, high;
  __device__ T operator()(T v) const { return v < low ? low : (v > high ? high : v); }
};

template <class T>
struct InRange {
  T low, high;
  __device__ T operator()(T v) const { return T(v >= low && v <= high); }
};

template <class T>
struct Where {
  __device__ T operator()(T condition, T a, T b) const { return condition != T(0) ? a : b; }
};

/// Calls f.template operator()<Op>() with Op the compile-time value of `op`.
template <class Enum, Enum... Ops, class F>
void dispatch_op(Enum op, F&& f) {
  (void)((op == Ops ? (f.template operator()<Ops>(), true) : false) || ...);
}

/// Which of the three kernels runs a coalesced layout.
enum class Path { contiguous, strided, layout };

template <int K>
Path path(const Layout<K>& l) {
  if (l.dims > 1) return Path::layout;
  for (int k = 0; k < K; ++k)
    if (l.dims == 0 || l.strides[k][0] != 1) return Path::strided;
  return Path::contiguous;
}

/// out = f(inputs...) element by element, every input of out's shape (broadcast by stride 0):
/// calls launch(kernel, n, arguments...) once, for kernel(n, arguments...) to run on a grid
/// (CudaElementwise.cu launches it on a stream, the emulation on the host); nothing for n = 0.
template <class TO, class TI, int N, class F, class Launch>
void map(Launch&& launch, Tensor& out, const std::array<const Tensor*, N>& inputs, F f) {
  const int64_t n = out.numel();
  if (n == 0) return;
  Pointers<TO, TI, N> p{data<TO>(out), {}};
  std::array<const Tensor*, N + 1> operands{&out};
  for (int k = 0; k < N; ++k) {
    p.in[k] = data<TI>(*inputs[k]);
    operands[k + 1] = inputs[k];
  }
  const Layout<N + 1> layout = coalesce<N + 1>(out.shape(), operands);
  switch (path(layout)) {
    case Path::contiguous:
      launch(map_contiguous<F, TO, TI, N>, n, p, f);
      break;
    case Path::strided: {
      Run<N + 1> run{};
      for (int k = 0; k <= N; ++k) run.stride[k] = layout.dims == 0 ? 0 : layout.strides[k][0];
      launch(map_strided<F, TO, TI, N>, n, p, run, f);
      break;
    }
    case Path::layout:
      launch(map_layout<F, TO, TI, N>, n, p, layout, f);
      break;
  }
}

}  // namespace cz::cuda::elementwise
