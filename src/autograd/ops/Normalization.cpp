// Batch normalization, alone or fused with the 2x2 max-pool that follows it in Conv4. With batch
// statistics each is one op: a fused forward kernel, and a fused first-order backward kernel;
// when the gradient itself must be differentiable (create_graph), the backward is the same
// formula written in differentiable ops, so every order is exact.
#include "cezanne/autograd/ops/Normalization.hpp"

#include <algorithm>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Indexing.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

namespace {

// The dims batch statistics reduce over (every dim but the channel and the task axis), and the
// statistics' shape with those dims kept as 1.
struct StatLayout {
  std::vector<int64_t> dims;
  Shape shape;
  StatLayout(const Shape& x, bool task_axis) : shape(x.size(), 1) {
    const int64_t channel_dim = task_axis ? 2 : 1;
    shape[static_cast<size_t>(channel_dim)] = x[static_cast<size_t>(channel_dim)];
    if (task_axis) shape[0] = x[0];
    for (int64_t d = 0; d < static_cast<int64_t>(x.size()); ++d)
      if (d != channel_dim && !(task_axis && d == 0)) dims.push_back(d);
  }
};

// Batch norm's gradients w.r.t. (x, gamma, beta) given the output gradient g, as a graph: the
// fused kernels' formula written in differentiable ops, with the statistics recomputed from x so
// that they carry its history. Every order is exact.
std::vector<Var> batch_norm_grads_graph(const Var& g, const Var& x, const Var& gamma, bool want_x, bool want_gamma,
                                        bool want_beta, const StatLayout& stats, const Shape& param_shape,
                                        double eps) {
  const std::vector<int64_t>& dims = stats.dims;
  const Var mu = mean(x, dims, true);
  const Var centered = x - mu;
  const Var inv_std = pow(mean(centered * centered, dims, true) + eps, -0.5);
  const Var x_hat = centered * inv_std;
  const Var g_hat = gamma.defined() ? g * reshape(gamma, stats.shape) : g;
  return {want_x ? inv_std * (g_hat - mean(g_hat, dims, true) - x_hat * mean(g_hat * x_hat, dims, true)) : Var(),
          want_gamma ? reshape(sum(g * x_hat, dims, true), param_shape) : Var(),
          want_beta ? reshape(sum(g, dims, true), param_shape) : Var()};
}

}  // namespace

Var batch_norm(const Var& x, const Var& gamma, const Var& beta, double eps, bool task_axis, RunningStats* running,
               bool training) {
  std::vector<Shape> params;
  for (const Var* p : {&gamma, &beta})
    if (p->defined()) params.push_back(p->shape());
  const Shape param_shape = batch_norm_param_shape(x.shape(), task_axis, params);
  const StatLayout stats(x.shape(), task_axis);
  const Shape& stat_shape = stats.shape;
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
        return batch_norm_grads_graph(g, x, gamma, want_x, want_gamma, want_beta, stats, param_shape, eps);
      });
}

// Layer norm as one op: the forward in tensor ops, a first-order backward in tensor ops from the
// saved normalized input and 1/sigma, and under create_graph the same formula written in
// differentiable ops with the statistics recomputed from x, so every order is exact.
//   x_hat = (x - mean) / sigma            y = x_hat * gamma + beta
//   dx = (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)) / sigma,  g_hat = g * gamma
//   dgamma = sum_to(g * x_hat),  dbeta = sum_to(g)                     (means over the last dim)
Var layer_norm(const Var& x, const Var& gamma, const Var& beta, double eps) {
  if (x.dim() < 1) throw ShapeError("layer_norm: x " + shape_str(x.shape()) + " has no dim to normalize");
  const double inv_d = 1.0 / static_cast<double>(std::max<int64_t>(x.size(-1), 1));
  auto row_mean = [inv_d](const Tensor& t) { return cz::affine(cz::sum(t, {-1}, true), inv_d, 0.0); };
  const Tensor centered = binary(BinaryOp::sub, x.data(), row_mean(x.data()));
  const Tensor inv_std = unary(UnaryOp::rsqrt, cz::affine(row_mean(unary(UnaryOp::square, centered)), 1.0, eps));
  const Tensor x_hat = binary(BinaryOp::mul, centered, inv_std);
  Tensor y = gamma.defined() ? binary(BinaryOp::mul, x_hat, gamma.data()) : x_hat;
  if (beta.defined()) y = binary(BinaryOp::add, y, beta.data());
  return record("layer_norm", std::move(y), {x, gamma, beta},
                [=](const Var& g, const SavedContext& c) {
                  const Var& x = c.inputs[0];
                  const Var& gamma = c.inputs[1];
                  const Var& beta = c.inputs[2];
                  const bool want_gamma = gamma.defined() && gamma.requires_grad();
                  const bool want_beta = beta.defined() && beta.requires_grad();
                  if (!grad_enabled()) {  // first order: tensor ops on the saved statistics
                    const Tensor g_hat = gamma.defined() ? binary(BinaryOp::mul, g.data(), gamma.data()) : g.data();
                    const Tensor inner = binary(
                        BinaryOp::sub, binary(BinaryOp::sub, g_hat, row_mean(g_hat)),
                        binary(BinaryOp::mul, x_hat, row_mean(binary(BinaryOp::mul, g_hat, x_hat))));
                    return std::vector<Var>{
                        x.requires_grad() ? Var(binary(BinaryOp::mul, inner, inv_std)) : Var(),
                        want_gamma ? Var(sum_to(binary(BinaryOp::mul, g.data(), x_hat), gamma.shape())) : Var(),
                        want_beta ? Var(sum_to(g.data(), beta.shape())) : Var()};
                  }
                  const Var centered_x = x - mean(x, {-1}, true);
                  const Var inv_std_x = pow(mean(centered_x * centered_x, {-1}, true) + eps, -0.5);
                  const Var x_hat_x = centered_x * inv_std_x;
                  const Var g_hat = gamma.defined() ? g * gamma : g;
                  return std::vector<Var>{
                      x.requires_grad()
                          ? inv_std_x * (g_hat - mean(g_hat, {-1}, true) - x_hat_x * mean(g_hat * x_hat_x, {-1}, true))
                          : Var(),
                      want_gamma ? sum_to(g * x_hat_x, gamma.shape()) : Var(),
                      want_beta ? sum_to(g, beta.shape()) : Var()};
                });
}

Var batch_norm_max_pool2d(const Var& x, const Var& gamma, const Var& beta, double eps, bool task_axis) {
  BatchNormPoolResult r = cz::batch_norm_max_pool2d(x.data(), gamma.defined() ? gamma.data() : Tensor(),
                                                    beta.defined() ? beta.data() : Tensor(), eps, task_axis);
  const StatLayout stats(x.shape(), task_axis);
  const Shape param_shape = r.mean.shape();
  const Tensor index = r.indices, mean_b = r.mean, var_b = r.var;
  std::vector<Var> inputs = {x, gamma.defined() ? gamma : Var(), beta.defined() ? beta : Var()};
  return record(
      "batch_norm_max_pool2d", std::move(r.y), std::move(inputs),
      [=](const Var& g, const SavedContext& c) {
        const Var& x = c.inputs[0];
        const Var& gamma = c.inputs[1];
        const bool want_x = x.requires_grad(), want_gamma = gamma.defined() && gamma.requires_grad(),
                   want_beta = c.inputs[2].defined() && c.inputs[2].requires_grad();
        if (!grad_enabled()) {  // first order: one fused kernel that reads the pooled gradient only
          BatchNormGrads d = batch_norm_max_pool2d_backward(
              g.data(), index, x.data(), gamma.defined() ? gamma.data() : Tensor(), mean_b, var_b, eps, task_axis);
          return std::vector<Var>{want_x ? Var(d.x) : Var(), want_gamma ? Var(d.gamma) : Var(),
                                  want_beta ? Var(d.beta) : Var()};
        }
        // As a graph: the pooled gradient scattered to the window maxima (the max-pool's
        // derivative), then batch norm's.
        Shape planes(x.shape().begin(), x.shape().end() - 2), pooled = planes;
        planes.push_back(x.size(-2) * x.size(-1));
        pooled.push_back(index.size(-2) * index.size(-1));
        const Var dy = reshape(scatter_add(planes, -1, index.reshape(pooled), reshape(g, pooled)), x.shape());
        return batch_norm_grads_graph(dy, x, gamma, want_x, want_gamma, want_beta, stats, param_shape, eps);
      });
}

}  // namespace cz
