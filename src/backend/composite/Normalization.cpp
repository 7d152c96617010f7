// Default batch-norm kernels from reductions and element-wise ops; the Conv4 block's kernels
// from batch norm, max-pool and scatter_add.
#include "cezanne/backend/Backend.hpp"

namespace cz {

namespace {

/// Per-(set, channel) statistics broadcastable against x [B, N, C, P]: [B, 1, C, 1].
Tensor per_channel(const Tensor& stat, const Tensor& x) {
  return stat.view({x.size(0), 1, x.size(2), 1});
}

/// (x - mean) / sqrt(var + eps), and 1 / sqrt(var + eps).
struct Normalized {
  Tensor xhat, inv_std;
};
Normalized normalize(const Tensor& x, const Tensor& mean, const Tensor& var, double eps) {
  const Tensor inv_std = unary(UnaryOp::rsqrt, affine(per_channel(var, x), 1.0, eps));
  return {binary(BinaryOp::mul, binary(BinaryOp::sub, x, per_channel(mean, x)), inv_std), inv_std};
}

}  // namespace

void Backend::batch_norm(const Tensor& x, const Tensor* gamma, const Tensor* beta, double eps,
                         Tensor& y, Tensor& mean, Tensor& var) {
  const double count = static_cast<double>(x.size(1) * x.size(3));
  const Tensor m = cz::affine(cz::sum(x, {1, 3}, true), 1.0 / count, 0.0);
  copy(m.view(mean.shape()), mean);
  const Tensor centered = cz::binary(BinaryOp::sub, x, m);
  copy(cz::affine(cz::sum(cz::unary(UnaryOp::square, centered), {1, 3}), 1.0 / count, 0.0)
           .view(var.shape()),
       var);
  Tensor out = normalize(x, mean, var, eps).xhat;
  if (gamma) out = cz::binary(BinaryOp::mul, out, per_channel(*gamma, x));
  if (beta) out = cz::binary(BinaryOp::add, out, per_channel(*beta, x));
  copy(out, y);
}

void Backend::batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor* gamma,
                                  const Tensor& mean, const Tensor& var, double eps, Tensor& grad_x,
                                  Tensor& grad_gamma, Tensor& grad_beta) {
  const double count = static_cast<double>(x.size(1) * x.size(3));
  const auto [xhat, inv_std] = normalize(x, mean, var, eps);
  const Tensor sum_dy = cz::sum(grad_y, {1, 3}, true),
               sum_dy_xhat = cz::sum(cz::binary(BinaryOp::mul, grad_y, xhat), {1, 3}, true);
  copy(sum_dy.view(grad_beta.shape()), grad_beta);
  copy(sum_dy_xhat.view(grad_gamma.shape()), grad_gamma);
  // dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat))
  Tensor k = gamma ? cz::binary(BinaryOp::mul, per_channel(*gamma, x), inv_std) : inv_std;
  const Tensor inner = cz::binary(
      BinaryOp::sub, cz::binary(BinaryOp::sub, grad_y, cz::affine(sum_dy, 1.0 / count, 0.0)),
      cz::binary(BinaryOp::mul, xhat, cz::affine(sum_dy_xhat, 1.0 / count, 0.0)));
  copy(cz::binary(BinaryOp::mul, k, inner), grad_x);
}

void Backend::batch_norm_max_pool2d(const Tensor& x, const Tensor* gamma, const Tensor* beta,
                                    double eps, Tensor& y, Tensor& indices, Tensor& mean,
                                    Tensor& var) {
  const Shape planes{x.size(0), x.size(1), x.size(2), x.size(3) * x.size(4)};
  Tensor normalized = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor flat = normalized.view(planes);
  batch_norm(x.view(planes), gamma, beta, eps, flat, mean, var);
  max_pool2d(normalized, 2, 2, 0, y, indices);
}

void Backend::batch_norm_max_pool2d_backward(const Tensor& grad_y, const Tensor& indices,
                                             const Tensor& x, const Tensor* gamma,
                                             const Tensor& mean, const Tensor& var, double eps,
                                             Tensor& grad_x, Tensor& grad_gamma,
                                             Tensor& grad_beta) {
  const Shape planes{x.size(0), x.size(1), x.size(2), x.size(3) * x.size(4)};
  const Shape pooled{x.size(0), x.size(1), x.size(2), grad_y.size(3) * grad_y.size(4)};
  Tensor grad_normalized = Tensor::zeros(planes, x.dtype(), x.device());
  scatter_add(3, indices.view(pooled), grad_y.view(pooled), grad_normalized);
  Tensor gx = grad_x.view(planes);
  batch_norm_backward(grad_normalized, x.view(planes), gamma, mean, var, eps, gx, grad_gamma,
                      grad_beta);
}

}  // namespace cz
