// Device-generic optimizer updates: the formulas of SGD.hpp and Adam.hpp as tensor ops.
#include "TensorUpdate.hpp"

#include <cmath>

#include "cezanne/tensor/Ops.hpp"

namespace cz::optim::detail {

void sgd_update(Tensor p, const Tensor& g, Tensor buf, double lr, double momentum,
                double weight_decay, bool nesterov) {
  Tensor d = weight_decay != 0 ? binary(BinaryOp::add, g, affine(p, weight_decay, 0.0)) : g;
  if (momentum != 0) {
    buf.copy_(binary(BinaryOp::add, affine(buf, momentum, 0.0), d));
    d = nesterov ? binary(BinaryOp::add, d, affine(buf, momentum, 0.0)) : buf;
  }
  p.copy_(binary(BinaryOp::sub, p, affine(d, lr, 0.0)));
}

void adam_update(Tensor p, const Tensor& g, Tensor m, Tensor v, double lr, double beta1,
                 double beta2, double eps, double weight_decay, bool decoupled, int64_t t) {
  const double bias1 = 1.0 - std::pow(beta1, static_cast<double>(t));
  const double bias2 = 1.0 - std::pow(beta2, static_cast<double>(t));
  Tensor gg = g;
  if (weight_decay != 0) {
    if (decoupled)
      p.copy_(affine(p, 1.0 - lr * weight_decay, 0.0));
    else
      gg = binary(BinaryOp::add, g, affine(p, weight_decay, 0.0));
  }
  m.copy_(binary(BinaryOp::add, affine(m, beta1, 0.0), affine(gg, 1.0 - beta1, 0.0)));
  v.copy_(binary(BinaryOp::add, affine(v, beta2, 0.0),
                 affine(unary(UnaryOp::square, gg), 1.0 - beta2, 0.0)));
  const Tensor denom = affine(unary(UnaryOp::sqrt, v), 1.0 / std::sqrt(bias2), eps);
  p.copy_(binary(BinaryOp::sub, p, affine(binary(BinaryOp::div, m, denom), lr / bias1, 0.0)));
}

}  // namespace cz::optim::detail
