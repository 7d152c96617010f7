// Batch normalization. With batch statistics it is one op: a fused forward kernel, and a fused
// first-order backward kernel; when the gradient itself must be differentiable (create_graph),
// the backward is the same formula written in differentiable ops, so every order is exact.
#include "cezanne/autograd/ops/Normalization.hpp"

#include <algorithm>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

Var batch_norm(const Var& x, const Var& gamma, const Var& beta, double eps, bool task_axis, RunningStats* running,
               bool training) {
  std::vector<Shape> params;
  for (const Var* p : {&gamma, &beta})
    if (p->defined()) params.push_back(p->shape());
  const Shape param_shape = batch_norm_param_shape(x.shape(), task_axis, params);
  // Statistics over every dim but the channel (and the task axis).
  const int64_t channel_dim = task_axis ? 2 : 1;
  std::vector<int64_t> dims;
  Shape stat_shape(static_cast<size_t>(x.dim()), 1);
  stat_shape[channel_dim] = x.size(channel_dim);
  if (task_axis) stat_shape[0] = x.size(0);
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != channel_dim && !(task_axis && d == 0)) dims.push_back(d);
  if (running && running->mean.shape() != param_shape)
    throw ShapeError("batch_norm: running statistics " + shape_str(running->mean.shape()) + " for input " +
                     shape_str(x.shape()));

  if (running && !training) {
    const Var mean_c(running->mean.reshape(stat_shape).to(x.dtype()));
    const Var inv_std(unary(UnaryOp::rsqrt, affine(running->var, 1.0, eps)).reshape(stat_shape).to(x.dtype()));
    Var y = (x - mean_c) * inv_std;
    if (gamma.defined()) y = y * reshape(gamma, stat_shape);
    if (beta.defined()) y = y + reshape(beta, stat_shape);
    return y;
  }

  BatchNormResult r = cz::batch_norm(x.data(), gamma.defined() ? gamma.data() : Tensor(),
                                     beta.defined() ? beta.data() : Tensor(), eps, task_axis);
  if (running) {
    const double n = static_cast<double>(x.numel() / shape_numel(stat_shape));
    const double m = running->momentum;
    const Tensor batch_var =
        affine(r.var, n / std::max(n - 1.0, 1.0), 0.0).to(running->var.dtype());
    running->mean.copy_(binary(BinaryOp::add, affine(running->mean, 1.0 - m, 0.0),
                               affine(r.mean.to(running->mean.dtype()), m, 0.0)));
    running->var.copy_(binary(BinaryOp::add, affine(running->var, 1.0 - m, 0.0), affine(batch_var, m, 0.0)));
  }
  std::vector<Var> inputs = {x, gamma.defined() ? gamma : Var(), beta.defined() ? beta : Var()};
  const Tensor mean_b = r.mean, var_b = r.var;
  return record(
      "batch_norm", std::move(r.y), std::move(inputs),
      [=](const Var& g, const SavedContext& c) {
        const Var& x = c.inputs[0];
        const Var& gamma = c.inputs[1];
        const bool want_x = x.requires_grad(), want_gamma = gamma.defined() && gamma.requires_grad(),
                   want_beta = c.inputs[2].defined() && c.inputs[2].requires_grad();
        if (!grad_enabled()) {  // first order: one fused kernel
          BatchNormGrads d = batch_norm_backward(g.data(), x.data(), gamma.defined() ? gamma.data() : Tensor(),
                                                 mean_b, var_b, eps, task_axis);
          return std::vector<Var>{want_x ? Var(d.x) : Var(), want_gamma ? Var(d.gamma) : Var(),
                                  want_beta ? Var(d.beta) : Var()};
        }
        // A graph of the gradient is wanted: the same formula in differentiable ops, with the
        // statistics recomputed from x so that they carry its history.
        const Var mu = mean(x, dims, true);
        const Var centered = x - mu;
        const Var inv_std = pow(mean(centered * centered, dims, true) + eps, -0.5);
        const Var x_hat = centered * inv_std;
        const Var g_hat = gamma.defined() ? g * reshape(gamma, stat_shape) : g;
        return std::vector<Var>{
            want_x ? inv_std * (g_hat - mean(g_hat, dims, true) - x_hat * mean(g_hat * x_hat, dims, true)) : Var(),
            want_gamma ? reshape(sum(g * x_hat, dims, true), param_shape) : Var(),
            want_beta ? reshape(sum(g, dims, true), param_shape) : Var()};
      });
}

}  // namespace cz
