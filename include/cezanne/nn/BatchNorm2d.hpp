// Functional 2-d batch normalization (batch statistics by default, as MAML uses it).
#pragma once

#include "cezanne/autograd/ops/Normalization.hpp"

namespace cz::nn {

/// Batch norm over the channels of x [N, C, H, W] (gamma, beta [C]), or with `task_axis` of
/// x [T, N, C, H, W] with per-task statistics (gamma, beta [T, C]).
/// `running` null: batch statistics (meta-learning). With `running`: when `training`, batch
/// statistics and the running ones updated in place; otherwise normalized by the running ones.
/// Throws ShapeError when x is not 4-d (5-d with task_axis).
Var batch_norm2d(const Var& x, const Var& gamma, const Var& beta, bool task_axis = false,
                 RunningStats* running = nullptr, bool training = true, double eps = 1e-5);

}  // namespace cz::nn
