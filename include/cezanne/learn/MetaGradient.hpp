// The meta-gradient of a rank's share of a meta-batch, computed a few tasks at a time.
#pragma once

#include <cstdint>
#include <functional>

#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn {

/// Accumulates into the grads of theta the gradient of the **sum** of the batch's T task_losses
/// (the uniform weighting of the general loop; dist::GradientReducer then sums over ranks and
/// divides by the global meta-batch), running `tasks_per_pass` tasks per forward/backward pass
/// (0: all T at once). Every task's loss depends on its own episode only (batch norm keeps
/// per-task statistics), so the result equals the one-pass gradient up to float summation
/// order, while the memory held by the graph is that of tasks_per_pass tasks: peak memory falls
/// roughly in proportion. Returns the batch's Metrics (the mean over its tasks). Throws
/// std::invalid_argument for tasks_per_pass < 0. `before_last_backward`, when given, runs just
/// before the last pass's backward, the one that makes every gradient final (where the gradient
/// allreduce may start on the parameters whose gradients are done while backward goes on).
Metrics backward_meta_loss(const EpisodicLearner& learner, const nn::ParamList& theta,
                           const data::EpisodeBatch& batch, int64_t tasks_per_pass,
                           const std::function<void()>& before_last_backward = {});

}  // namespace cz::learn
