// Default optimizer updates: the formulas of Adam.hpp and SGD.hpp as element-wise ops (in the
// parameters' dtype; the fused CPU kernels compute in double).
#include <cmath>

#include "cezanne/backend/Backend.hpp"

namespace cz {

void Backend::sgd_update(const SgdStep& s, Tensor& p, const Tensor& g, Tensor& buffer) {
  Tensor d =
      s.weight_decay != 0 ? cz::binary(BinaryOp::add, g, cz::affine(p, s.weight_decay, 0.0)) : g;
  if (s.momentum != 0) {
    copy(cz::binary(BinaryOp::add, cz::affine(buffer, s.momentum, 0.0), d), buffer);
    d = s.nesterov ? cz::binary(BinaryOp::add, d, cz::affine(buffer, s.momentum, 0.0)) : buffer;
  }
  copy(cz::binary(BinaryOp::sub, p, cz::affine(d, s.lr, 0.0)), p);
}

void Backend::adam_update(const AdamStep& s, Tensor& p, const Tensor& g, Tensor& m, Tensor& v) {
  const double bias1 = 1.0 - std::pow(s.beta1, static_cast<double>(s.t));
  const double bias2 = 1.0 - std::pow(s.beta2, static_cast<double>(s.t));
  Tensor grad = g;
  if (s.weight_decay != 0) {
    if (s.decoupled)
      copy(cz::affine(p, 1.0 - s.lr * s.weight_decay, 0.0), p);
    else
      grad = cz::binary(BinaryOp::add, g, cz::affine(p, s.weight_decay, 0.0));
  }
  copy(cz::binary(BinaryOp::add, cz::affine(m, s.beta1, 0.0), cz::affine(grad, 1.0 - s.beta1, 0.0)),
       m);
  copy(cz::binary(BinaryOp::add, cz::affine(v, s.beta2, 0.0),
                  cz::affine(cz::unary(UnaryOp::square, grad), 1.0 - s.beta2, 0.0)),
       v);
  const Tensor denom = cz::affine(cz::unary(UnaryOp::sqrt, v), 1.0 / std::sqrt(bias2), s.eps);
  copy(cz::binary(BinaryOp::sub, p,
                  cz::affine(cz::binary(BinaryOp::div, m, denom), s.lr / bias1, 0.0)),
       p);
}

}  // namespace cz
