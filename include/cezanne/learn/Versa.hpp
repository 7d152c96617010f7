// Amortized head distribution (VERSA-style): a Gaussian over each class's prototype, which fixes
// its classifier head, inferred from the class's embeddings; queries averaged over sampled heads.
#pragma once

#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn {

/// Amortized Bayesian classifier head (Gordon et al. 2019, VERSA; Ravi & Beatson 2019). theta is
/// the embedding network (the model's body) plus two linear maps D -> D and a scalar. The head
/// of class c is a function of a latent prototype p_c: logits of a query e are -||e - p_c||^2,
/// i.e. the linear head w_c = 2 p_c, b_c = -||p_c||^2 (up to a per-query constant). For a set of
/// labelled embeddings, class c's mean embedding m_c over its n_c examples gives
///   q(p_c | set) = N(m_c + head_mean(m_c), diag exp(head_log_var(m_c) + head_log_var.shots * log n_c)),
/// with head_mean and head_log_var starting at zero and shots at -1 (a mean of n examples is
/// uncertain as 1 / n): the mean head starts as ProtoNets'. **Decision:** the Gaussian is over
/// the prototype, not independently over (w_c, b_c): a mean-field Gaussian over the linear head
/// breaks the tie b = -||w||^2 / 4, and its bias noise shifts a class's logits for every query
/// alike (measured: 85% instead of ProtoNets' 95% at 5-way 1-shot, ECE 0.23; docs/learn.md).
/// Meta-training minimizes the negative ELBO of the notes per query plus VERSA's predictive
/// term: with heads φ_s sampled from q(. | D_tr ∪ D_ts) and φ'_s from q(. | D_tr)
/// (reparameterized, `samples` of each, on separate noise streams),
///   loss = mean over samples and queries of cross-entropy under φ_s
///          + Σ_c KL(q(.|D_tr ∪ D_ts) || q(.|D_tr)) / Q
///          + mean over queries of −log (1/S) Σ_s p(y | x, φ'_s)
/// (the last by logsumexp over samples of log-softmax): the ELBO alone never scores the heads
/// prediction samples, from q(. | D_tr).
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

  /// q(prototypes | embeddings [T, N, D] with labels [T, N]): mean and standard deviation
  /// [T, ways, D], with history.
  std::pair<Var, Var> posterior(const nn::ParamList& theta, const Var& embeddings, const Tensor& labels) const;
};

/// Logits -||e - p||^2 [T, Q, S, ways] of queries [T, Q, D] under prototypes [T, S, ways, D].
Var head_logits(const Var& queries, const Var& heads);

}  // namespace cz::learn
