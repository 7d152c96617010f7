// Differentiable batch normalization.
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz {

/// Running statistics, updated in place (no history) when training with them.
struct RunningStats {
  Tensor mean;
  Tensor var;
  double momentum = 0.1;
};

/// Batch norm over the channel dim of [N, C, ...] (or [T, N, C, ...] with per-task statistics
/// when `task_axis`): y = (x - mean) / sqrt(var + eps) * gamma + beta. With `running` and
/// `training`, uses batch statistics and updates the running ones; with `running` and not
/// `training`, normalizes by the running statistics. gamma/beta: [C] (or [T, C]) or undefined.
Var batch_norm(const Var& x, const Var& gamma, const Var& beta, double eps = 1e-5, bool task_axis = false,
               RunningStats* running = nullptr, bool training = true);

/// max_pool2d(batch_norm(x, gamma, beta, eps, task_axis), 2) with batch statistics, as one op
/// that never materializes the normalized tensor (cz::batch_norm_max_pool2d): x [N, C, H, W] (or
/// [T, N, C, H, W]) -> [..., H/2, W/2]. The same function with the same derivatives of every order.
/// Layer norm over the last dim (Ba et al.; the transformer's): y = (x - mean) / sqrt(var + eps)
/// * gamma + beta, the mean and (biased) variance of each row of x [..., D]; gamma, beta [D] or
/// anything that broadcasts against x (per-task [T, 1, ..., D]), or undefined. One op whose
/// first-order backward reuses the forward's statistics; under create_graph its backward is
/// written in differentiable ops, so it has derivatives of every order.
Var layer_norm(const Var& x, const Var& gamma, const Var& beta, double eps = 1e-5);

Var batch_norm_max_pool2d(const Var& x, const Var& gamma, const Var& beta, double eps = 1e-5,
                          bool task_axis = false);

}  // namespace cz
