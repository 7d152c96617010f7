// MAML / FOMAML / ANIL / pretrain: inner SGD loops of all tasks batched on the task axis.
#include "cezanne/learn/Maml.hpp"

#include <stdexcept>

#include "LearnDetail.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/nn/Linear.hpp"

namespace cz::learn {

Maml::Maml(LearnerConfig config, Mode mode) : EpisodicLearner(std::move(config)), mode_(mode) {
  config_.algorithm = name();
  const nn::Model& m = *config_.model;
  if (config_.loss == Loss::cross_entropy) detail::require_ways_within_head(config_);
  if (mode_ == Mode::head_only && m.head_begin() >= m.specs().size())
    throw std::invalid_argument(name() + ": the model has no head parameters to adapt");
}

std::string Maml::name() const {
  if (mode_ == Mode::head_only) return "anil";
  if (mode_ == Mode::pretrain) return "pretrain";
  return config_.first_order ? "fomaml" : "maml";
}

std::vector<nn::ParamSpec> Maml::specs() const { return config_.model->specs(); }

Var Maml::per_task_loss(const Var& output, const Tensor& labels) const {
  if (config_.loss == Loss::mse) return task_mse(output, Var(labels.to(output.dtype())));
  // Fewer ways than head outputs: only the first `ways` logits take part.
  const Var logits = output.size(-1) == config_.ways ? output : slice(output, -1, 0, config_.ways);
  return task_cross_entropy(logits, labels);
}

nn::ParamList Maml::adapt(const nn::ParamList& theta, const Tensor& support,
                          const Tensor& support_labels, int steps, bool create_graph,
                          const StepObserver& after_step) const {
  const nn::Model& model = *config_.model;
  const int64_t tasks = support.size(0);
  GradModeGuard grad_on(true);
  // Leaves that do not require grad (plain data) become fresh leaves: their inner gradients
  // exist, and nothing flows back to the caller's tensors.
  nn::ParamList base = theta;
  for (Var& v : base)
    if (!v.requires_grad()) v = Var(v.data(), true);
  // The zeroing trick: the head enters the inner loop as theta's head times zero, which keeps
  // the graph (theta's head gets a zero meta-gradient) and gives phi_0's head = 0.
  if (config_.zero_head)
    for (size_t i = model.head_begin(); i < base.size(); ++i) base[i] = base[i] * 0.0;
  nn::ParamList phi = nn::expand_to_tasks(base, tasks);
  GradOptions options;
  options.create_graph = create_graph;
  // The engine frees saved tensors of the nodes a grad() touches, including the ones that
  // produced phi (expand, sub), which the query forward still goes through: keep them.
  options.retain_graph = true;
  // The inner loss is the sum over tasks of each task's mean support loss: its gradient with
  // respect to the per-task parameters is each task's own.
  const Var x(support);

  if (mode_ != Mode::head_only) {
    for (int s = 0; s < steps; ++s) {
      const Var loss = sum(per_task_loss(model.forward_tasks(phi, x), support_labels));
      const std::vector<Var> g = grad({loss}, phi, {}, options);
      for (size_t i = 0; i < phi.size(); ++i)
        phi[i] = phi[i] - config_.inner_lr * (create_graph ? g[i] : g[i].detach());
      if (after_step) after_step(s, phi);
    }
    return phi;
  }

  // ANIL: the body's features of the support set once, then the inner loop on the head only.
  const size_t head = model.head_begin();
  const Var features = model.embed_tasks(phi, x);  // [T, N, D]
  std::vector<Var> head_params(phi.begin() + static_cast<std::ptrdiff_t>(head), phi.end());
  if (head_params.size() != 2)
    throw std::invalid_argument("anil: the head must be one linear layer (weight, bias), got " +
                                std::to_string(head_params.size()) + " parameters");
  for (int s = 0; s < steps; ++s) {
    const Var out = nn::linear(features, head_params[0], head_params[1]);
    const Var loss = sum(per_task_loss(out, support_labels));
    const std::vector<Var> g = grad({loss}, head_params, {}, options);
    for (size_t i = 0; i < head_params.size(); ++i)
      head_params[i] = head_params[i] - config_.inner_lr * (create_graph ? g[i] : g[i].detach());
    if (after_step) {
      for (size_t i = 0; i < head_params.size(); ++i) phi[head + i] = head_params[i];
      after_step(s, phi);
    }
  }
  for (size_t i = 0; i < head_params.size(); ++i) phi[head + i] = head_params[i];
  return phi;
}

Var Maml::task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                      Metrics* out) const {
  detail::check_theta(name(), specs(), theta);
  detail::check_batch(name(), config_, batch);
  // Second order needs the inner gradients recorded, and only when an outer gradient is wanted.
  const bool outer = grad_enabled();
  // Meta-regularization: weight noise on theta before adaptation, an information penalty on
  // theta itself after it (LearnDetail.hpp).
  const nn::ParamList start = detail::perturb_theta(config_, theta, batch.step);
  const int steps = mode_ == Mode::pretrain ? 0 : config_.inner_steps;
  // Multi-step loss: the query losses after steps 1..steps-1 here, the last one below.
  Var earlier;
  StepObserver after_step;
  if (config_.multi_step_loss && outer)
    after_step = [&](int s, const nn::ParamList& phi) {
      if (s + 1 == steps) return;
      const Var l = per_task_loss(config_.model->forward_tasks(phi, Var(batch.query)), batch.query_labels);
      earlier = earlier.defined() ? earlier + l : l;
    };
  const nn::ParamList phi = adapt(start, batch.support, batch.support_labels, steps,
                                  outer && !config_.first_order, after_step);
  const Var output = config_.model->forward_tasks(phi, Var(batch.query));
  const Var last = per_task_loss(output, batch.query_labels);  // [T]
  const Var losses = earlier.defined() ? (earlier + last) * (1.0 / steps) : last;
  if (out && config_.loss == Loss::cross_entropy)
    detail::classifier_metrics(last.data(), output.data().slice(-1, 0, config_.ways), batch.query_labels, *out);
  else if (out)
    *out = {detail::mean_value(last.data()), 0.0};
  return detail::add_information_penalty(config_, theta, losses);
}

Tensor Maml::predict(const nn::ParamList& theta, const Tensor& support,
                     const Tensor& support_labels, const Tensor& query) const {
  detail::check_theta(name(), specs(), theta);
  const data::EpisodeBatch one = detail::single_task(config_, support, support_labels, query);
  detail::check_batch(name(), config_, one);
  nn::ParamList constants;
  for (const Var& v : theta) constants.push_back(v.detach());
  const nn::ParamList phi = adapt(constants, one.support, one.support_labels, test_steps(), false);
  NoGradGuard no_grad;
  Tensor y = config_.model->forward_tasks(phi, Var(one.query)).data().select(0, 0);
  if (config_.loss == Loss::cross_entropy && y.size(-1) != config_.ways)
    y = y.slice(-1, 0, config_.ways);
  return y.contiguous();
}

}  // namespace cz::learn
