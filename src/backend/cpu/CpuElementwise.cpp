// CPU element-wise kernels.
#include <cmath>

#include "CpuBackend.hpp"
#include "Strided.hpp"

namespace cz::cpu {

namespace {

// Applies f(x) -> y over broadcast-equal shapes: out[i] = f(x[i]).
template <class TO, class TI, class F>
void map1(const Tensor& x, Tensor& out, F f) {
  TO* o = static_cast<TO*>(out.raw_data());
  const TI* a = static_cast<const TI*>(x.raw_data());
  for_each_row<2>(out.shape(), {&out.strides(), &x.strides()}, [&](const std::array<int64_t, 2>& off, int64_t n,
                                                                    const std::array<int64_t, 2>& st) {
    TO* po = o + off[0];
    const TI* pa = a + off[1];
    if (st[0] == 1 && st[1] == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) po[i * st[0]] = f(pa[i * st[1]]);
    }
  });
}

template <class T, class F>
void map2(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  T* o = static_cast<T*>(out.raw_data());
  const T* pa0 = static_cast<const T*>(a.raw_data());
  const T* pb0 = static_cast<const T*>(b.raw_data());
  for_each_row<3>(out.shape(), {&out.strides(), &a.strides(), &b.strides()},
                  [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
                    T* po = o + off[0];
                    const T* pa = pa0 + off[1];
                    const T* pb = pb0 + off[2];
                    if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
                      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
                    } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
                      const T bv = *pb;
                      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], bv);
                    } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
                      const T av = *pa;
                      for (int64_t i = 0; i < n; ++i) po[i] = f(av, pb[i]);
                    } else {
                      for (int64_t i = 0; i < n; ++i) po[i * st[0]] = f(pa[i * st[1]], pb[i * st[2]]);
                    }
                  });
}

template <class T>
T sigmoid(T x) {
  return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}

}  // namespace

void CpuBackend::copy(const Tensor& src, Tensor& out) {
  dispatch_all(out.dtype(), [&](auto out_tag) {
    using TO = typename decltype(out_tag)::type;
    dispatch_all(src.dtype(), [&](auto in_tag) {
      using TI = typename decltype(in_tag)::type;
      map1<TO, TI>(src, out, [](TI v) { return static_cast<TO>(v); });
    });
  });
}

void CpuBackend::fill(Tensor& out, double value) {
  dispatch_all(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T v = static_cast<T>(value);
    T* o = static_cast<T*>(out.raw_data());
    for_each_row<1>(out.shape(), {&out.strides()},
                    [&](const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& st) {
                      for (int64_t i = 0; i < n; ++i) o[off[0] + i * st[0]] = v;
                    });
  });
}

void CpuBackend::unary(UnaryOp op, const Tensor& x, Tensor& out) {
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    switch (op) {
      case UnaryOp::neg: map1<T, T>(x, out, [](T v) { return -v; }); break;
      case UnaryOp::exp: map1<T, T>(x, out, [](T v) { return std::exp(v); }); break;
      case UnaryOp::log: map1<T, T>(x, out, [](T v) { return std::log(v); }); break;
      case UnaryOp::sqrt: map1<T, T>(x, out, [](T v) { return std::sqrt(v); }); break;
      case UnaryOp::rsqrt: map1<T, T>(x, out, [](T v) { return T(1) / std::sqrt(v); }); break;
      case UnaryOp::abs: map1<T, T>(x, out, [](T v) { return std::abs(v); }); break;
      case UnaryOp::sign: map1<T, T>(x, out, [](T v) { return T((v > 0) - (v < 0)); }); break;
      case UnaryOp::sigmoid: map1<T, T>(x, out, [](T v) { return sigmoid(v); }); break;
      case UnaryOp::tanh: map1<T, T>(x, out, [](T v) { return std::tanh(v); }); break;
      case UnaryOp::relu: map1<T, T>(x, out, [](T v) { return v > 0 ? v : T(0); }); break;
      case UnaryOp::reciprocal: map1<T, T>(x, out, [](T v) { return T(1) / v; }); break;
      case UnaryOp::square: map1<T, T>(x, out, [](T v) { return v * v; }); break;
      case UnaryOp::erf: map1<T, T>(x, out, [](T v) { return std::erf(v); }); break;
    }
  });
}

void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    switch (op) {
      case BinaryOp::add: map2<T>(a, b, out, [](T x, T y) { return x + y; }); break;
      case BinaryOp::sub: map2<T>(a, b, out, [](T x, T y) { return x - y; }); break;
      case BinaryOp::mul: map2<T>(a, b, out, [](T x, T y) { return x * y; }); break;
      case BinaryOp::div: map2<T>(a, b, out, [](T x, T y) { return x / y; }); break;
      case BinaryOp::pow: map2<T>(a, b, out, [](T x, T y) { return std::pow(x, y); }); break;
      case BinaryOp::maximum: map2<T>(a, b, out, [](T x, T y) { return x > y ? x : y; }); break;
      case BinaryOp::minimum: map2<T>(a, b, out, [](T x, T y) { return x < y ? x : y; }); break;
      case BinaryOp::gt: map2<T>(a, b, out, [](T x, T y) { return T(x > y); }); break;
      case BinaryOp::ge: map2<T>(a, b, out, [](T x, T y) { return T(x >= y); }); break;
      case BinaryOp::lt: map2<T>(a, b, out, [](T x, T y) { return T(x < y); }); break;
      case BinaryOp::le: map2<T>(a, b, out, [](T x, T y) { return T(x <= y); }); break;
      case BinaryOp::eq: map2<T>(a, b, out, [](T x, T y) { return T(x == y); }); break;
    }
  });
}

void CpuBackend::affine(const Tensor& x, double scale, double shift, Tensor& out) {
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T s = static_cast<T>(scale), t = static_cast<T>(shift);
    map1<T, T>(x, out, [s, t](T v) { return s * v + t; });
  });
}

void CpuBackend::pow_scalar(const Tensor& x, double exponent, Tensor& out) {
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T e = static_cast<T>(exponent);
    if (exponent == 2.0) {
      map1<T, T>(x, out, [](T v) { return v * v; });
    } else if (exponent == 1.0) {
      map1<T, T>(x, out, [](T v) { return v; });
    } else {
      map1<T, T>(x, out, [e](T v) { return std::pow(v, e); });
    }
  });
}

void CpuBackend::clamp(const Tensor& x, double low, double high, Tensor& out) {
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T lo = static_cast<T>(low), hi = static_cast<T>(high);
    map1<T, T>(x, out, [lo, hi](T v) { return v < lo ? lo : (v > hi ? hi : v); });
  });
}

void CpuBackend::in_range_mask(const Tensor& x, double low, double high, Tensor& out) {
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    const T lo = static_cast<T>(low), hi = static_cast<T>(high);
    map1<T, T>(x, out, [lo, hi](T v) { return T(v >= lo && v <= hi); });
  });
}

void CpuBackend::where(const Tensor& condition, const Tensor& a, const Tensor& b, Tensor& out) {
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    T* o = static_cast<T*>(out.raw_data());
    const T* pc0 = static_cast<const T*>(condition.raw_data());
    const T* pa0 = static_cast<const T*>(a.raw_data());
    const T* pb0 = static_cast<const T*>(b.raw_data());
    for_each_row<4>(out.shape(), {&out.strides(), &condition.strides(), &a.strides(), &b.strides()},
                    [&](const std::array<int64_t, 4>& off, int64_t n, const std::array<int64_t, 4>& st) {
                      for (int64_t i = 0; i < n; ++i)
                        o[off[0] + i * st[0]] = pc0[off[1] + i * st[1]] != T(0) ? pa0[off[2] + i * st[2]]
                                                                                 : pb0[off[3] + i * st[3]];
                    });
  });
}

}  // namespace cz::cpu
