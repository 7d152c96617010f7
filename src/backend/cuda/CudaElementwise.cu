// CUDA element-wise kernels: copy (any dtype to any), fill, unary, binary, where and the scalar
// forms (affine, pow_scalar, clamp, in_range_mask), on broadcast operands (stride 0 where
// expanded) and any output layout (cat and copy_ write into views).
//
// Each op is a functor applied by one of three grid-stride kernels, chosen on the host after the
// dims are coalesced as the CPU's for_each_row does: every operand contiguous (one index for
// all), every operand one strided run (a broadcast scalar, a strided slice), or any layout (one
// decomposition of the linear index, shared by all operands). The functors mirror
// src/backend/cpu/CpuElementwise.cpp expression for expression, so that a result equals the
// CPU's bit for bit except where the device's math library rounds differently from glibc (exp,
// log, tanh, erf, pow: within a few ulp).
#include "CudaBackend.cuh"
#include "cezanne/tensor/HostDevice.hpp"

#include <array>
#include <cmath>

namespace cz::cuda {

namespace {

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
      throw ShapeError("cuda backend: an element-wise op on more than " + std::to_string(Indexer::kMaxDims) +
                       " dims that do not coalesce, shape " + shape_str(shape));
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
__device__ __forceinline__ void apply(const F& f, const Pointers<TO, TI, N>& p, const int64_t (&off)[N + 1]) {
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

/// out = f(inputs...) element by element on `stream`; every input has out's shape (broadcast
/// by stride 0).
template <class TO, class TI, int N, class F>
void elementwise(cudaStream_t stream, Tensor& out, const std::array<const Tensor*, N>& inputs, F f) {
  const int64_t n = out.numel();
  if (n == 0) return;
  Pointers<TO, TI, N> p{data<TO>(out), {}};
  std::array<const Tensor*, N + 1> operands{&out};
  for (int k = 0; k < N; ++k) {
    p.in[k] = data<TI>(*inputs[k]);
    operands[k + 1] = inputs[k];
  }
  const Layout<N + 1> layout = coalesce<N + 1>(out.shape(), operands);
  const unsigned blocks = blocks_for(n);
  if (layout.dims <= 1) {
    Run<N + 1> run{};
    bool unit = true;
    for (int k = 0; k <= N; ++k) {
      run.stride[k] = layout.dims == 0 ? 0 : layout.strides[k][0];
      unit = unit && run.stride[k] == 1;
    }
    if (unit) {
      map_contiguous<<<blocks, kThreads, 0, stream>>>(n, p, f);
    } else {
      map_strided<<<blocks, kThreads, 0, stream>>>(n, p, run, f);
    }
  } else {
    map_layout<<<blocks, kThreads, 0, stream>>>(n, p, layout, f);
  }
  CZ_CHECK_CUDA_LAUNCH();
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

}  // namespace

void CudaBackend::copy(const Tensor& src, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_all(out.dtype(), [&](auto to) {
    using TO = decltype(to);
    dispatch_all(src.dtype(), [&](auto ti) {
      using TI = decltype(ti);
      elementwise<TO, TI, 1>(s, out, {&src}, Convert<TO, TI>{});
    });
  });
}

void CudaBackend::fill(Tensor& out, double value) {
  const cudaStream_t s = stream();
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    elementwise<T, T, 0>(s, out, {}, Constant<T>{static_cast<T>(value)});
  });
}

void CudaBackend::unary(UnaryOp op, const Tensor& x, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    dispatch_op<UnaryOp, UnaryOp::neg, UnaryOp::exp, UnaryOp::log, UnaryOp::sqrt, UnaryOp::rsqrt, UnaryOp::abs,
                UnaryOp::sign, UnaryOp::sigmoid, UnaryOp::tanh, UnaryOp::relu, UnaryOp::reciprocal, UnaryOp::square,
                UnaryOp::erf>(op, [&]<UnaryOp Op>() { elementwise<T, T, 1>(s, out, {&x}, Unary<Op>{}); });
  });
}

void CudaBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    dispatch_op<BinaryOp, BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div, BinaryOp::pow,
                BinaryOp::maximum, BinaryOp::minimum, BinaryOp::gt, BinaryOp::ge, BinaryOp::lt, BinaryOp::le,
                BinaryOp::eq>(op, [&]<BinaryOp Op>() { elementwise<T, T, 2>(s, out, {&a, &b}, Binary<Op>{}); });
  });
}

void CudaBackend::affine(const Tensor& x, double scale, double shift, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    elementwise<T, T, 1>(s, out, {&x}, Affine<T>{static_cast<T>(scale), static_cast<T>(shift)});
  });
}

void CudaBackend::pow_scalar(const Tensor& x, double exponent, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // The CPU's two exact cases (x^2 is the squared distances' and MSE's power).
    if (exponent == 2.0) {
      elementwise<T, T, 1>(s, out, {&x}, Unary<UnaryOp::square>{});
    } else if (exponent == 1.0) {
      elementwise<T, T, 1>(s, out, {&x}, Identity<T>{});
    } else {
      elementwise<T, T, 1>(s, out, {&x}, PowScalar<T>{static_cast<T>(exponent)});
    }
  });
}

void CudaBackend::clamp(const Tensor& x, double low, double high, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    elementwise<T, T, 1>(s, out, {&x}, Clamp<T>{static_cast<T>(low), static_cast<T>(high)});
  });
}

void CudaBackend::in_range_mask(const Tensor& x, double low, double high, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    elementwise<T, T, 1>(s, out, {&x}, InRange<T>{static_cast<T>(low), static_cast<T>(high)});
  });
}

void CudaBackend::where(const Tensor& condition, const Tensor& a, const Tensor& b, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    elementwise<T, T, 3>(s, out, {&condition, &a, &b}, Where<T>{});
  });
}

}  // namespace cz::cuda
