// Per-task evaluation of a multi-task model: every held-out example of one task, and the summary.
#pragma once

#include <cstdint>
#include <vector>

#include "cezanne/data/MultiTaskSource.hpp"
#include "cezanne/learn/Evaluation.hpp"
#include "cezanne/learn/MultiTaskObjective.hpp"

namespace cz::learn {

/// One task's result on a split.
struct TaskAccuracy {
  double accuracy = 0.0;  ///< fraction of the task's examples of the split classified correctly
  int64_t examples = 0;
};

/// The accuracy of task `task` of `source` on `split` (by-example split: unseen images of the
/// task's own classes), without recording a graph. The task's examples go through the network
/// as one row, so batch norm uses the statistics of the task's whole split (as the
/// meta-learners use the episode's).
TaskAccuracy task_accuracy(const MultiTaskObjective& objective, const nn::ParamList& theta,
                           const data::MultiTaskSource& source, data::Split split, int64_t task);

/// Mean over tasks of their accuracies, with ci95 = 1.96 * std / sqrt(tasks) (as summarize());
/// episodes = the number of tasks.
EvalResult summarize_tasks(const std::vector<TaskAccuracy>& tasks);

}  // namespace cz::learn
