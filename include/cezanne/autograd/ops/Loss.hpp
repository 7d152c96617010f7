// Differentiable softmax family and losses.
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz {

Var softmax(const Var& x, int64_t dim);
Var log_softmax(const Var& x, int64_t dim);
/// Mean over all positions of -log_softmax(logits)[label]; logits [..., C], labels i64 [...].
Var cross_entropy(const Var& logits, const Tensor& labels);
/// Mean squared error.
Var mse(const Var& prediction, const Var& target);
/// Per task: logits [T, ..., C], labels i64 [T, ...] -> [T], row t the mean over task t's
/// positions of -log_softmax(logits)[label] (cross_entropy of row t alone).
Var task_cross_entropy(const Var& logits, const Tensor& labels);
/// Per task: [T, ...] -> [T], row t the mean squared error of task t alone.
Var task_mse(const Var& prediction, const Var& target);

}  // namespace cz
