// Per-task evaluation of a multi-task model: every held-out example of every task.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "cezanne/data/MultiTaskSource.hpp"
#include "cezanne/dist/Communicator.hpp"
#include "cezanne/learn/Evaluation.hpp"
#include "cezanne/learn/MultiTaskObjective.hpp"

namespace cz::learn {

/// One task's result on a split.
struct TaskAccuracy {
  double accuracy = 0.0;  ///< fraction of the task's examples of the split classified correctly
  int64_t examples = 0;
};

/// The accuracy of every task of `source` on `split` (by-example split: unseen images of the
/// task's own classes). Task t's examples go through the network as one row, so batch norm uses
/// the statistics of the task's whole split (as the meta-learners use the episode's). With a
/// communicator of P ranks, rank r evaluates owned_tasks(num_tasks, r, P) and one allreduce
/// gives every rank every task's result, equal to the single-process one. `before_each`, when
/// given, runs before each of this rank's tasks (eval's watchdog).
std::vector<TaskAccuracy> evaluate_tasks(const MultiTaskObjective& objective,
                                         const nn::ParamList& theta,
                                         const data::MultiTaskSource& source, data::Split split,
                                         dist::Communicator* comm = nullptr,
                                         const std::function<void()>& before_each = {});

/// Mean over tasks of their accuracies, with ci95 = 1.96 * std / sqrt(tasks) (as summarize());
/// episodes = the number of tasks.
EvalResult summarize_tasks(const std::vector<TaskAccuracy>& tasks);

}  // namespace cz::learn
