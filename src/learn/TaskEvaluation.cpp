// Per-task test accuracy of a multi-task model.
#include "cezanne/learn/TaskEvaluation.hpp"

#include "cezanne/autograd/GradMode.hpp"

namespace cz::learn {

TaskAccuracy task_accuracy(const MultiTaskObjective& objective, const nn::ParamList& theta,
                           const data::MultiTaskSource& source, data::Split split, int64_t task) {
  NoGradGuard no_grad;
  const int64_t n = source.num_examples(task, split);
  const Device device = theta.empty() ? Device::cpu() : theta[0].data().device();
  const TaskLosses out =
      objective.losses(theta, source.task_examples(task, split, 0, n).to(device));
  return {out.accuracy.at(0), n};
}

EvalResult summarize_tasks(const std::vector<TaskAccuracy>& tasks) {
  std::vector<double> accuracies;
  for (const TaskAccuracy& t : tasks) accuracies.push_back(t.accuracy);
  return summarize(accuracies);
}

}  // namespace cz::learn
