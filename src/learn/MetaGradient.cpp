// backward_meta_loss: gradient accumulation over passes of a few tasks.
#include "cezanne/learn/MetaGradient.hpp"

#include <algorithm>
#include <deque>
#include <stdexcept>
#include <string>

#include "LearnDetail.hpp"
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
  // The passes' metrics stay on the device until every backward has been issued: one copy to
  // the host for the whole step, after its backward, instead of a wait for each pass's forward.
  std::deque<Metrics> passes;  // their addresses stay put as passes are added
  for (int64_t begin = 0; begin < tasks; begin += per_pass) {
    const int64_t end = std::min(begin + per_pass, tasks);
    Metrics& m = passes.emplace_back();
    m.defer = true;
    const data::EpisodeBatch part = per_pass == tasks ? batch : batch.tasks(begin, end);
    const Var loss = sum(learner.task_losses(theta, part, &m));
    if (end == tasks && before_last_backward) before_last_backward();
    loss.backward();
  }
  std::vector<Metrics*> pending;
  for (Metrics& m : passes) pending.push_back(&m);
  detail::read_deferred(pending);
  Metrics total;
  for (size_t p = 0; p < passes.size(); ++p) {
    const int64_t begin = static_cast<int64_t>(p) * per_pass;
    const double n = static_cast<double>(std::min(begin + per_pass, tasks) - begin);
    total.loss += passes[p].loss * n / static_cast<double>(tasks);
    total.accuracy += passes[p].accuracy * n / static_cast<double>(tasks);
  }
  return total;
}

}  // namespace cz::learn
