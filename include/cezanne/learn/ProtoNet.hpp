// Prototypical networks: classify a query by its squared distance to each class's mean embedding.
#pragma once

#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn {

/// Snell et al. 2017. theta is the embedding network (the model's body, parameters
/// [0, head_begin())). Support and query of a task are embedded together (one batch, so batch
/// norm sees the task's statistics, as in the reference implementation); a prototype is the
/// mean embedding of a label's support examples (a one-hot matmul, so any number of shots per
/// label works); logits = -||query - prototype||^2 (pairwise_sq_dist).
class ProtoNet final : public EpisodicLearner {
 public:
  explicit ProtoNet(LearnerConfig config);

  std::string name() const override { return "protonet"; }
  std::vector<nn::ParamSpec> specs() const override;
  Var task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                  Metrics* out = nullptr) const override;
  Tensor predict(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                 const Tensor& query) const override;

  /// Query logits [T, Q, ways] for support [T, N, ...] with labels [T, N], with history.
  Var logits(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
             const Tensor& query) const;
};

}  // namespace cz::learn
