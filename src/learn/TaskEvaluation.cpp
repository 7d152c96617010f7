// Per-task test accuracy of a multi-task model, split across ranks by task.
#include "cezanne/learn/TaskEvaluation.hpp"

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/dist/TaskPartition.hpp"

namespace cz::learn {

std::vector<TaskAccuracy> evaluate_tasks(const MultiTaskObjective& objective,
                                         const nn::ParamList& theta,
                                         const data::MultiTaskSource& source, data::Split split,
                                         dist::Communicator* comm,
                                         const std::function<void()>& before_each) {
  NoGradGuard no_grad;
  const int64_t tasks = source.num_tasks();
  const int rank = comm ? comm->rank() : 0, world = comm ? comm->size() : 1;
  // Two values per task (accuracy, examples), zero for the tasks of other ranks: one sum.
  std::vector<double> values(static_cast<size_t>(2 * tasks), 0.0);
  for (const int64_t t : owned_tasks(tasks, rank, world)) {
    if (before_each) before_each();
    const int64_t n = source.num_examples(t, split);
    const TaskLosses out = objective.losses(theta, source.task_examples(t, split, 0, n));
    values[2 * t] = out.accuracy.at(0);
    values[2 * t + 1] = static_cast<double>(n);
  }
  if (comm) comm->allreduce_sum(std::span<double>(values));
  std::vector<TaskAccuracy> result(static_cast<size_t>(tasks));
  for (int64_t t = 0; t < tasks; ++t)
    result[t] = {values[2 * t], static_cast<int64_t>(values[2 * t + 1])};
  return result;
}

EvalResult summarize_tasks(const std::vector<TaskAccuracy>& tasks) {
  std::vector<double> accuracies;
  for (const TaskAccuracy& t : tasks) accuracies.push_back(t.accuracy);
  return summarize(accuracies);
}

}  // namespace cz::learn
