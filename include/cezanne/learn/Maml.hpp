// MAML, first-order MAML, ANIL and the pre-train + fine-tune baseline: gradient-based
// adaptation, all tasks of a rank at once.
#pragma once

#include <functional>

#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn {

/// Model-agnostic meta-learning (Finn et al. 2017). Each task's parameters are adapted by
/// `steps` SGD steps on its support loss,
///   phi_0 = theta,  phi_{s+1} = phi_s - inner_lr * grad(L_support(phi_s), phi_s),
/// and the meta-loss is the mean query loss of the phi's after the last step; with
/// multi_step_loss (MAML++, Antoniou et al. 2019) it is the mean over s = 1..steps of the query
/// loss after step s, which keeps every intermediate step useful and the inner loop stable
/// when it runs longer at test time. With zero_head (the zeroing trick, Kao et al. 2022) every
/// inner loop starts from a zero head: phi_0 = (theta's body, 0).
///  - maml: the inner gradient is recorded (create_graph), so the meta-gradient has the
///    second-order (Hessian) term;
///  - fomaml: the inner gradient is a constant (no history), so d phi / d theta = I;
///  - anil (Raghu et al. 2020): only the head [model.head_begin(), end) is adapted; the
///    body's features of the support set are computed once and the inner loop runs on the
///    head alone (second order through the head unless first_order);
///  - pretrain (the notes' transfer-learning baseline, "pre-train on all tasks, then
///    fine-tune"): meta-training fits theta itself to every task's query set with no inner
///    loop (joint multi-task training); at test time predict() fine-tunes all parameters with
///    test_steps() SGD steps of inner_lr on the support set, exactly as MAML adapts.
/// Batched: theta is expanded to per-task parameters [T, ...] (a view) and every inner step is
/// one forward_tasks / one grad over the task axis: the inner gradient with respect to the
/// expanded parameters is each task's own gradient, because the inner loss is the sum over
/// tasks of each task's mean support loss.
class Maml final : public EpisodicLearner {
 public:
  enum class Mode : uint8_t { full, head_only, pretrain };

  /// See make_learner for the checks.
  Maml(LearnerConfig config, Mode mode);

  std::string name() const override;
  std::vector<nn::ParamSpec> specs() const override;
  Var task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                  Metrics* out = nullptr) const override;
  Tensor predict(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                 const Tensor& query) const override;

  /// The adapted per-task parameters (every entry [T, ...]) after `steps` inner steps on
  /// support [T, N, ...] with labels [T, N] (or targets [T, N, out]). With `create_graph` the
  /// result has history back to theta through the inner gradients (second order); without,
  /// the inner gradients are constants. Grad mode is switched on inside for the inner
  /// gradients; leaves of theta that do not require grad are treated as constants.
  /// `after_step`, when given, sees phi after each step s = 0..steps-1.
  using StepObserver = std::function<void(int step, const nn::ParamList& phi)>;
  nn::ParamList adapt(const nn::ParamList& theta, const Tensor& support,
                      const Tensor& support_labels, int steps, bool create_graph,
                      const StepObserver& after_step = {}) const;

  Mode mode() const { return mode_; }

 private:
  // Each task's mean loss of outputs [T, N, ...] against its labels or targets: [T].
  Var per_task_loss(const Var& output, const Tensor& labels) const;
  Mode mode_;
};

}  // namespace cz::learn
