// Default element-wise kernels, from binary with a broadcast scalar.
#include "cezanne/backend/Backend.hpp"

namespace cz {

namespace {

/// A 0-d tensor of `value` on out's device and dtype, broadcast to out's shape.
Tensor broadcast_scalar(double value, const Tensor& out) {
  return Tensor::full({}, value, out.dtype(), out.device()).expand(out.shape());
}

}  // namespace

void Backend::affine(const Tensor& x, double scale, double shift, Tensor& out) {
  binary(BinaryOp::mul, x, broadcast_scalar(scale, out), out);
  binary(BinaryOp::add, out, broadcast_scalar(shift, out), out);
}

void Backend::pow_scalar(const Tensor& x, double exponent, Tensor& out) {
  binary(BinaryOp::pow, x, broadcast_scalar(exponent, out), out);
}

void Backend::clamp(const Tensor& x, double low, double high, Tensor& out) {
  binary(BinaryOp::maximum, x, broadcast_scalar(low, out), out);
  binary(BinaryOp::minimum, out, broadcast_scalar(high, out), out);
}

void Backend::in_range_mask(const Tensor& x, double low, double high, Tensor& out) {
  Tensor above = Tensor::empty(out.shape(), out.dtype(), out.device());
  binary(BinaryOp::ge, x, broadcast_scalar(low, out), above);
  binary(BinaryOp::le, x, broadcast_scalar(high, out), out);
  binary(BinaryOp::mul, above, out, out);
}

}  // namespace cz
