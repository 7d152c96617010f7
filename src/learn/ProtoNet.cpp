// Prototypical networks: prototypes by a one-hot matmul, logits by negative squared distance.
#include "cezanne/learn/ProtoNet.hpp"

#include "LearnDetail.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {

ProtoNet::ProtoNet(LearnerConfig config) : EpisodicLearner(std::move(config)) {
  config_.algorithm = name();
  detail::require_classification(config_);
}

std::vector<nn::ParamSpec> ProtoNet::specs() const { return detail::body_specs(*config_.model); }

Var ProtoNet::logits(const nn::ParamList& theta, const Tensor& support,
                     const Tensor& support_labels, const Tensor& query) const {
  const auto [s, q] =
      detail::embed_sets(*config_.model, theta, support, query);  // [T, N, D], [T, Q, D]
  // Mean of each label's support embeddings: ([T, ways, N] one-hot / count) @ [T, N, D].
  const Tensor hot =
      detail::one_hot(support_labels, config_.ways, s.dtype()).transpose(1, 2);  // [T, ways, N]
  const Tensor count =
      cz::clamp(cz::sum(hot, {2}, true), 1.0, 1e300);  // an absent label: a zero prototype
  const Var prototypes = matmul(Var(binary(BinaryOp::div, hot, count)), s);  // [T, ways, D]
  return -pairwise_sq_dist(q, prototypes);                                   // [T, Q, ways]
}

Var ProtoNet::task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                          Metrics* out) const {
  detail::check_theta(name(), specs(), theta);
  detail::check_batch(name(), config_, batch);
  return detail::query_cross_entropy(logits(theta, batch.support, batch.support_labels, batch.query),
                                     batch.query_labels, out);
}

Tensor ProtoNet::predict(const nn::ParamList& theta, const Tensor& support,
                         const Tensor& support_labels, const Tensor& query) const {
  detail::check_theta(name(), specs(), theta);
  const data::EpisodeBatch one = detail::single_task(config_, support, support_labels, query);
  detail::check_batch(name(), config_, one);
  NoGradGuard no_grad;
  return logits(theta, one.support, one.support_labels, one.query).data().select(0, 0).contiguous();
}

}  // namespace cz::learn
