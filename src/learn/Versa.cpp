// VERSA-style amortized head: class means -> a Gaussian per class prototype, sampled heads, the
// ELBO; predictions by the heads' exact average of each class's density of the query.
#include "cezanne/learn/Versa.hpp"

#include "LearnDetail.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/Gaussian.hpp"
#include "cezanne/nn/Linear.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {

Versa::Versa(LearnerConfig config) : EpisodicLearner(std::move(config)) {
  config_.algorithm = name();
  detail::require_classification(config_);
}

std::vector<nn::ParamSpec> Versa::specs() const {
  std::vector<nn::ParamSpec> s = detail::body_specs(*config_.model);
  const int64_t d = config_.model->feature_size();
  // Both maps start at zero: the mean head is ProtoNets', a coordinate's variance 1 / n_c.
  for (nn::ParamSpec p : nn::linear_specs("head_mean", d, d, true, {nn::Init::zeros})) s.push_back(p);
  for (nn::ParamSpec p : nn::linear_specs("head_log_var", d, d, true, {nn::Init::zeros})) s.push_back(p);
  s.push_back({"head_log_var.shots", {1}, {nn::Init::constant, -1.0}});
  return s;
}

std::pair<Var, Var> Versa::posterior(const nn::ParamList& theta, const Var& embeddings,
                                     const Tensor& labels) const {
  const size_t body = config_.model->head_begin();
  const Tensor hot = detail::one_hot(labels, config_.ways, embeddings.dtype()).transpose(1, 2);  // [T, ways, N]
  const Tensor count = cz::clamp(cz::sum(hot, {2}, true), 1.0, 1e300);  // an absent label: m_c = 0
  const Var m = matmul(Var(binary(BinaryOp::div, hot, count)), embeddings);  // [T, ways, D]
  const Var mean_head = m + nn::linear(m, theta[body], theta[body + 1]);
  // The variance sees the class's number of examples n_c (a mean pools it away): a mean of n
  // examples is uncertain as 1 / n, so the shots coefficient starts at -1.
  const Var log_var =
      nn::linear(m, theta[body + 2], theta[body + 3]) + theta[body + 4] * Var(unary(UnaryOp::log, count));
  return {mean_head, exp(0.5 * log_var)};
}

Var head_logits(const Var& queries, const Var& heads) {
  const int64_t tasks = heads.size(0), samples = heads.size(1), ways = heads.size(2), d = heads.size(3);
  const Var distances = pairwise_sq_dist(queries, reshape(heads, {tasks, samples * ways, d}));  // [T, Q, S * ways]
  return -reshape(distances, {tasks, queries.size(1), samples, ways});
}

Var predictive_logits(const Var& queries, const Var& mean, const Var& std) {
  // Per coordinate, ∫ exp(-(e - p)^2) N(p; μ, σ^2) dp = exp(-(e - μ)^2 / v) / sqrt(v), v = 1 + 2σ^2.
  const Var v = unsqueeze(1.0 + 2.0 * std * std, 1);       // [T, 1, ways, D]
  const Var diff = unsqueeze(queries, 2) - unsqueeze(mean, 1);  // [T, Q, ways, D]
  return -sum(diff * diff / v, {3}) - 0.5 * sum(log(v), {3});  // [T, Q, ways]
}

Var Versa::task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                       Metrics* out) const {
  detail::check_theta(name(), specs(), theta);
  detail::check_batch(name(), config_, batch);
  const size_t body = config_.model->head_begin();
  const auto [s, q] = detail::embed_sets(*config_.model, nn::ParamList(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(body)), batch.support,
                                         batch.query);  // [T, N, D], [T, Q, D]
  const int64_t tasks = s.size(0), queries = q.size(1), d = s.size(2);
  const auto [prior_mean, prior_std] = posterior(theta, s, batch.support_labels);  // q(. | D_tr)
  const auto [post_mean, post_std] =
      posterior(theta, cat({s, q}, 1), cz::cat(std::vector<Tensor>{batch.support_labels, batch.query_labels}, 1));
  const Tensor noise = task_noise({config_.samples, config_.ways, d}, config_.sample_seed, batch.step,
                                  task_keys(batch.task_indices, tasks), s.dtype(), s.device());
  const Var heads = unsqueeze(post_mean, 1) + unsqueeze(post_std, 1) * Var(noise);  // [T, S, ways, D]
  const Var logits = reshape(head_logits(q, heads), {tasks, queries * config_.samples, config_.ways});
  const Tensor labels = batch.query_labels.unsqueeze(2)
                            .expand({tasks, queries, config_.samples})
                            .contiguous()
                            .reshape({tasks, queries * config_.samples});
  const Var kl = sum(gaussian_kl(post_mean, post_std, prior_mean, prior_std), {1, 2});  // [T]
  // The predictive term: -log p(y | x, D_tr) of the predictions (predict), the heads of q(. | D_tr)
  // averaged exactly: the cross-entropy of predictive_logits.
  const Var losses = task_cross_entropy(logits, labels) + config_.beta * kl / static_cast<double>(queries) +
                     task_cross_entropy(predictive_logits(q, prior_mean, prior_std), batch.query_labels);
  if (out) {
    const Var mean_logits = select(head_logits(q, unsqueeze(prior_mean, 1)), 2, 0);  // [T, Q, ways]
    detail::classifier_metrics(losses.data(), mean_logits.data(), batch.query_labels, *out);
  }
  return losses;
}

Tensor Versa::predict(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                      const Tensor& query) const {
  detail::check_theta(name(), specs(), theta);
  const data::EpisodeBatch one = detail::single_task(config_, support, support_labels, query);
  detail::check_batch(name(), config_, one);
  NoGradGuard no_grad;
  const size_t body = config_.model->head_begin();
  const auto [s, q] = detail::embed_sets(*config_.model, nn::ParamList(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(body)), one.support, one.query);
  const auto [head_mean, head_std] = posterior(theta, s, one.support_labels);
  return select(log_softmax(predictive_logits(q, head_mean, head_std), 2), 0, 0).data().contiguous();
}

}  // namespace cz::learn
