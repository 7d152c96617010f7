// Siamese networks: a learned same/different score, used as the similarity of a nearest neighbour.
#pragma once

#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn {

/// Koch et al. 2015. Both images of a pair go through the same embedding network f (the
/// model's body); the pair's logit is  s(x, x') = w . |f(x) - f(x')| + b  with the pair head
/// "siamese.weight" [1, features] and "siamese.bias" [1] appended to the body's parameters.
/// Training: every (query, support) pair of a task is one example, target 1 when the labels
/// agree, with binary cross-entropy on the logit; positives and negatives are weighted to
/// contribute equally (an N-way task has N-1 times more negatives).
/// Test: nearest neighbour under s: logits_c = max over label c's support examples of s(x, x_i),
/// so the argmax is the label of the most similar support example.
class SiameseNet final : public EpisodicLearner {
 public:
  explicit SiameseNet(LearnerConfig config);

  std::string name() const override { return "siamese"; }
  std::vector<nn::ParamSpec> specs() const override;
  /// The pair loss (accuracy: nearest-neighbour classification of the queries).
  Var task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                  Metrics* out = nullptr) const override;
  /// Nearest-neighbour scores [Q, ways] (each label's best pair logit).
  Tensor predict(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                 const Tensor& query) const override;

  /// Pair logits [T, Q, N] of every query against every support example, with history.
  Var pair_logits(const nn::ParamList& theta, const Tensor& support, const Tensor& query) const;
};

}  // namespace cz::learn
