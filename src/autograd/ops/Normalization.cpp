// Batch normalization, composed of differentiable ops so every derivative order is exact.
#include "cezanne/autograd/ops/Normalization.hpp"

#include <algorithm>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

Var batch_norm(const Var& x, const Var& gamma, const Var& beta, double eps, bool task_axis, RunningStats* running,
               bool training) {
  const int64_t channel_dim = task_axis ? 2 : 1;
  if (x.dim() < channel_dim + 1)
    throw ShapeError(std::string("batch_norm: input ") + shape_str(x.shape()) + " has no channel dim" +
                     (task_axis ? " (expected [T, N, C, ...])" : " (expected [N, C, ...])"));
  const int64_t C = x.size(channel_dim);
  // Statistics over every dim but the channel (and the task axis).
  std::vector<int64_t> dims;
  Shape stat_shape(static_cast<size_t>(x.dim()), 1);
  stat_shape[channel_dim] = C;
  if (task_axis) stat_shape[0] = x.size(0);
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != channel_dim && !(task_axis && d == 0)) dims.push_back(d);
  const Shape param_shape = task_axis ? Shape{x.size(0), C} : Shape{C};
  for (const Var* p : {&gamma, &beta})
    if (p->defined() && p->shape() != param_shape)
      throw ShapeError("batch_norm: parameter " + shape_str(p->shape()) + " for input " + shape_str(x.shape()) +
                       ", expected " + shape_str(param_shape));
  if (running && running->mean.shape() != param_shape)
    throw ShapeError("batch_norm: running statistics " + shape_str(running->mean.shape()) + " for input " +
                     shape_str(x.shape()));

  Var y;
  if (running && !training) {
    const Var mean_c(running->mean.reshape(stat_shape).to(x.dtype()));
    const Var inv_std(unary(UnaryOp::rsqrt, affine(running->var, 1.0, eps)).reshape(stat_shape).to(x.dtype()));
    y = (x - mean_c) * inv_std;
  } else {
    const Var mu = mean(x, dims, true);
    const Var centered = x - mu;
    const Var var = mean(centered * centered, dims, true);
    y = centered * pow(var + eps, -0.5);
    if (running) {
      NoGradGuard no_grad;
      const double n = static_cast<double>(x.numel() / shape_numel(stat_shape));
      const double m = running->momentum;
      const Tensor batch_mean = mu.data().reshape(param_shape).to(running->mean.dtype());
      const Tensor batch_var = affine(var.data().reshape(param_shape), n / std::max(n - 1.0, 1.0), 0.0)
                                   .to(running->var.dtype());
      running->mean.copy_(binary(BinaryOp::add, affine(running->mean, 1.0 - m, 0.0), affine(batch_mean, m, 0.0)));
      running->var.copy_(binary(BinaryOp::add, affine(running->var, 1.0 - m, 0.0), affine(batch_var, m, 0.0)));
    }
  }
  if (gamma.defined()) y = y * reshape(gamma, stat_shape);
  if (beta.defined()) y = y + reshape(beta, stat_shape);
  return y;
}

}  // namespace cz
