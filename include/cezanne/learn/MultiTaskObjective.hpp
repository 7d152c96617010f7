// MultiTaskObjective: per-task classification losses of a task-conditioned network.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cezanne/autograd/Var.hpp"
#include "cezanne/data/TaskBatch.hpp"
#include "cezanne/nn/ParamSpec.hpp"
#include "cezanne/nn/TaskConditionedNet.hpp"

namespace cz::learn {

/// What an objective returns for a batch of T task rows (design §2, the general loop).
struct TaskLosses {
  Var losses;                    ///< [T]: row t's mean cross-entropy, with history
  std::vector<double> accuracy;  ///< per row: fraction of its examples classified correctly
};

/// Multi-task learning (notes: "Multi-task learning"): theta is a task-conditioned network
/// f_theta(y | x, z_i) and, with `log_variances`, the per-task log-variances s of uncertainty
/// weighting ("task_log_variance" [num_tasks], zeros). Each task classifies its own classes:
/// row t's logits are restricted to the first classes[task] outputs (the others are masked
/// out), so a task never predicts another task's labels. A pure function of (theta, batch):
/// it holds only sizes, and one object serves every rank and thread.
class MultiTaskObjective {
 public:
  /// `classes[t]`: the classes of task t (>= 2, at most net.outputs). Throws
  /// std::invalid_argument naming the task and the numbers otherwise, or when classes has
  /// another size than net.num_tasks.
  MultiTaskObjective(nn::TaskNetSpec net, std::vector<int64_t> classes, bool log_variances);

  const nn::TaskConditionedNet& net() const { return net_; }
  int64_t num_tasks() const { return net_.spec().num_tasks; }
  int64_t num_classes(int64_t task) const { return classes_.at(static_cast<size_t>(task)); }
  /// The network's parameters, then "task_log_variance" when log_variances.
  std::vector<nn::ParamSpec> specs() const;
  /// Per parameter: shared by every task (gradient surgery projects these). The log-variances
  /// are per task.
  std::vector<bool> shared() const;
  /// Index of "task_log_variance" in specs(); only with log_variances.
  size_t log_variance_index() const;
  bool has_log_variances() const { return log_variances_; }
  /// "conv4 filters=64 channels=1 image=28 conditioning=film tasks=143 outputs=60".
  std::string description() const;

  /// Row t's loss: the mean over its B examples of -log softmax(logits of the task's classes)
  /// [label]. Throws std::invalid_argument when a label is outside the row's task's classes.
  TaskLosses losses(const nn::ParamList& theta, const data::TaskBatch& batch) const;
  /// Logits [T, B, outputs] with the classes beyond each row's task masked to a large negative
  /// number, with history.
  Var logits(const nn::ParamList& theta, const data::TaskBatch& batch) const;

 private:
  nn::TaskConditionedNet net_;
  std::vector<int64_t> classes_;
  bool log_variances_;
};

}  // namespace cz::learn
