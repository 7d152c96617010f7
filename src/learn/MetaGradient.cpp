// backward_meta_loss: gradient accumulation over passes of a few tasks.
#include "cezanne/learn/MetaGradient.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cezanne/autograd/Ops.hpp"

namespace cz::learn {

Metrics backward_meta_loss(const EpisodicLearner& learner, const nn::ParamList& theta,
                           const data::EpisodeBatch& batch, int64_t tasks_per_pass,
                           const std::function<void()>& before_last_backward) {
  if (tasks_per_pass < 0)
    throw std::invalid_argument("tasks per pass must be >= 0 (0: all at once), got " +
                                std::to_string(tasks_per_pass));
  const int64_t tasks = batch.support.size(0);
  const int64_t per_pass = tasks_per_pass == 0 ? tasks : std::min(tasks_per_pass, tasks);
  Metrics total;
  for (int64_t begin = 0; begin < tasks; begin += per_pass) {
    const int64_t end = std::min(begin + per_pass, tasks);
    const double n = static_cast<double>(end - begin);
    Metrics m;
    const data::EpisodeBatch part = per_pass == tasks ? batch : batch.tasks(begin, end);
    const Var loss = sum(learner.task_losses(theta, part, &m));
    if (end == tasks && before_last_backward) before_last_backward();
    loss.backward();
    total.loss += m.loss * n / static_cast<double>(tasks);
    total.accuracy += m.accuracy * n / static_cast<double>(tasks);
  }
  return total;
}

}  // namespace cz::learn
