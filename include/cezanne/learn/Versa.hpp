// Amortized head distribution (VERSA-style): a Gaussian over each class's classifier weights,
// inferred from the class's embeddings; queries answered by averaging over sampled heads.
#pragma once

#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn {

/// Amortized Bayesian classifier head (Gordon et al. 2019, VERSA; Ravi & Beatson 2019). theta is
/// the embedding network (the model's body) plus two linear maps D -> D + 1. For a set of
/// labelled embeddings, class c's mean embedding m_c gives q(w_c, b_c | set) = N(mu_c,
/// diag(sigma_c^2)) with
///   mu_c = [2 m_c ; -||m_c||^2] + head_mean(m_c),   log sigma_c^2 = head_log_var(m_c),
/// so that with head_mean at zero (its initialization) the mean head is ProtoNets' classifier
/// (logits -||e - m_c||^2 up to a per-query constant). Logits of a query e under a head sample:
/// e . w_c + b_c. Meta-training minimizes the negative ELBO of the notes per query: with heads
/// sampled from q(. | D_tr ∪ D_ts) (reparameterized, `samples` of them),
///   loss = mean over samples and queries of cross-entropy + Σ_c KL(q(.|D_tr ∪ D_ts) || q(.|D_tr)) / Q.
/// The reported accuracy is that of the mean head of q(. | D_tr). At test the heads are sampled
/// from q(. | D_tr) and the class probabilities are the average of their softmaxes.
class Versa final : public EpisodicLearner {
 public:
  explicit Versa(LearnerConfig config);

  std::string name() const override { return "versa"; }
  std::vector<nn::ParamSpec> specs() const override;
  Var task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                  Metrics* out = nullptr) const override;
  /// The log of the averaged class probabilities [Q, ways] (logits for argmax and softmax).
  Tensor predict(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                 const Tensor& query) const override;
  Predictive predict_distribution(const nn::ParamList& theta, const Tensor& support,
                                  const Tensor& support_labels, const Tensor& query) const override;

  /// q(head | embeddings [T, N, D] with labels [T, N]): mean and standard deviation
  /// [T, ways, D + 1] (the last column is the bias), with history.
  std::pair<Var, Var> posterior(const nn::ParamList& theta, const Var& embeddings, const Tensor& labels) const;
};

/// Logits [T, Q, S, ways] of queries [T, Q, D] under heads [T, S, ways, D + 1].
Var head_logits(const Var& queries, const Var& heads);

}  // namespace cz::learn
