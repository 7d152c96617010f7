// CUDA element-wise kernels: copy (any dtype to any), fill, unary, binary, where and the scalar
// forms (affine, pow_scalar, clamp, in_range_mask), on broadcast operands (stride 0 where
// expanded) and any output layout (cat and copy_ write into views). The kernels, their functors
// and the choice among them are in CudaElementwise.cuh; this file launches them.
#include "CudaBackend.cuh"
#include "CudaElementwise.cuh"

namespace cz::cuda {

using namespace elementwise;

namespace {

/// out = f(inputs...) element by element on `stream`.
template <class TO, class TI, int N, class F>
void launch_elementwise(cudaStream_t stream, Tensor& out,
                        const std::array<const Tensor*, N>& inputs, F f) {
  map<TO, TI, N>(GridLauncher{stream}, out, inputs, f);
}

}  // namespace

void CudaBackend::copy(const Tensor& src, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_all(out.dtype(), [&](auto to) {
    using TO = decltype(to);
    dispatch_all(src.dtype(), [&](auto ti) {
      using TI = decltype(ti);
      launch_elementwise<TO, TI, 1>(s, out, {&src}, Convert<TO, TI>{});
    });
  });
}

void CudaBackend::fill(Tensor& out, double value) {
  const cudaStream_t s = stream();
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_elementwise<T, T, 0>(s, out, {}, Constant<T>{static_cast<T>(value)});
  });
}

void CudaBackend::unary(UnaryOp op, const Tensor& x, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    dispatch_op<UnaryOp, UnaryOp::neg, UnaryOp::exp, UnaryOp::log, UnaryOp::sqrt, UnaryOp::rsqrt,
                UnaryOp::abs, UnaryOp::sign, UnaryOp::sigmoid, UnaryOp::tanh, UnaryOp::relu,
                UnaryOp::reciprocal, UnaryOp::square, UnaryOp::erf>(
        op, [&]<UnaryOp Op>() { launch_elementwise<T, T, 1>(s, out, {&x}, Unary<Op>{}); });
  });
}

void CudaBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    dispatch_op<BinaryOp, BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div, BinaryOp::pow,
                BinaryOp::maximum, BinaryOp::minimum, BinaryOp::gt, BinaryOp::ge, BinaryOp::lt,
                BinaryOp::le, BinaryOp::eq>(op, [&]<BinaryOp Op>() {
      launch_elementwise<T, T, 2>(s, out, {&a, &b}, Binary<Op>{});
    });
  });
}

void CudaBackend::affine(const Tensor& x, double scale, double shift, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_elementwise<T, T, 1>(s, out, {&x},
                                Affine<T>{static_cast<T>(scale), static_cast<T>(shift)});
  });
}

void CudaBackend::pow_scalar(const Tensor& x, double exponent, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // The CPU's two exact cases (x^2 is the squared distances' and MSE's power).
    if (exponent == 2.0) {
      launch_elementwise<T, T, 1>(s, out, {&x}, Unary<UnaryOp::square>{});
    } else if (exponent == 1.0) {
      launch_elementwise<T, T, 1>(s, out, {&x}, Identity<T>{});
    } else {
      launch_elementwise<T, T, 1>(s, out, {&x}, PowScalar<T>{static_cast<T>(exponent)});
    }
  });
}

void CudaBackend::clamp(const Tensor& x, double low, double high, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_elementwise<T, T, 1>(s, out, {&x}, Clamp<T>{static_cast<T>(low), static_cast<T>(high)});
  });
}

void CudaBackend::in_range_mask(const Tensor& x, double low, double high, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_elementwise<T, T, 1>(s, out, {&x},
                                InRange<T>{static_cast<T>(low), static_cast<T>(high)});
  });
}

void CudaBackend::where(const Tensor& condition, const Tensor& a, const Tensor& b, Tensor& out) {
  const cudaStream_t s = stream();
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_elementwise<T, T, 3>(s, out, {&condition, &a, &b}, Where<T>{});
  });
}

}  // namespace cz::cuda
