// Matching networks: cosine attention over the support set, reduced per label by logsumexp.
#include "cezanne/learn/MatchingNet.hpp"

#include <stdexcept>

#include "LearnDetail.hpp"
#include "cezanne/autograd/Ops.hpp"

namespace cz::learn {

MatchingNet::MatchingNet(LearnerConfig config) : EpisodicLearner(std::move(config)) {
  config_.algorithm = name();
  detail::require_classification(config_);
  if (!(config_.matching_scale > 0))
    throw std::invalid_argument("matching: matching_scale must be > 0, got " +
                                std::to_string(config_.matching_scale));
}

std::vector<nn::ParamSpec> MatchingNet::specs() const { return detail::body_specs(*config_.model); }

Var MatchingNet::logits(const nn::ParamList& theta, const Tensor& support,
                        const Tensor& support_labels, const Tensor& query) const {
  const auto [s, q] =
      detail::embed_sets(*config_.model, theta, support, query);  // [T, N, D], [T, Q, D]
  // Cosine similarities of every query to every support example: one batched GEMM of unit vectors.
  const Var cosine =
      matmul(l2_normalize(q, -1), transpose(l2_normalize(s, -1), 1, 2));  // [T, Q, N]
  const Var scores = unsqueeze(cosine * config_.matching_scale, 2);       // [T, Q, 1, N]
  // log p(c) + const = logsumexp over label c's examples; softmax over labels then equals the
  // attention mass sum_{i: y_i = c} a_i.
  const Var masked =
      scores + Var(detail::label_mask(support_labels, config_.ways, s.dtype()));  // [T, Q, ways, N]
  return logsumexp(masked, -1);                                                   // [T, Q, ways]
}

Var MatchingNet::task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                             Metrics* out) const {
  detail::check_theta(name(), specs(), theta);
  detail::check_batch(name(), config_, batch);
  return detail::query_cross_entropy(logits(theta, batch.support, batch.support_labels, batch.query),
                                     batch.query_labels, out);
}

Tensor MatchingNet::predict(const nn::ParamList& theta, const Tensor& support,
                            const Tensor& support_labels, const Tensor& query) const {
  detail::check_theta(name(), specs(), theta);
  const data::EpisodeBatch one = detail::single_task(config_, support, support_labels, query);
  detail::check_batch(name(), config_, one);
  NoGradGuard no_grad;
  return log_softmax(logits(theta, one.support, one.support_labels, one.query), -1)
      .data()
      .select(0, 0)
      .contiguous();
}

}  // namespace cz::learn
