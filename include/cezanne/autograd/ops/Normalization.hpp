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

}  // namespace cz
