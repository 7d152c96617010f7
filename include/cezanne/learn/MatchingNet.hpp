// Matching networks: attention over the support set by cosine similarity of embeddings.
#pragma once

#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn {

/// Vinyals et al. 2016, without full-context embeddings: a = softmax_i(scale * cos(f(x), f(x_i)))
/// over the support examples x_i, and p(y = c | x) = sum of a_i over the support examples of
/// label c. Computed as logits_c = logsumexp over label c's support examples of scale * cos,
/// so that softmax(logits) = p exactly and cross-entropy is -log p without a log of a sum
/// that may underflow. theta is the embedding network (the model's body).
class MatchingNet final : public EpisodicLearner {
 public:
  explicit MatchingNet(LearnerConfig config);

  std::string name() const override { return "matching"; }
  std::vector<nn::ParamSpec> specs() const override;
  Var task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                  Metrics* out = nullptr) const override;
  /// Returns log p(y | x) for each label, [Q, ways].
  Tensor predict(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                 const Tensor& query) const override;

  /// Query logits [T, Q, ways] (log-probabilities up to a per-row constant), with history.
  Var logits(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
             const Tensor& query) const;
};

}  // namespace cz::learn
