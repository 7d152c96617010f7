// Amortized head distribution (VERSA-style): a Gaussian over each class's prototype, which fixes
// its classifier head, inferred from the class's embeddings; a query's class posterior averages
// each class's density of the query over the heads.
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
/// term: with heads φ_s sampled from q(. | D_tr ∪ D_ts) (reparameterized, `samples` of them),
///   loss = mean over samples and queries of cross-entropy under φ_s
///          + β Σ_c KL(q(.|D_tr ∪ D_ts) || q(.|D_tr)) / Q
///          + mean over queries of −log p(y | x, D_tr)   (the prediction below)
/// (β = `beta`, 1 by default: the ELBO).
/// Prediction: the head −||e − p_c||^2 is, up to a constant, the log-density N(e; p_c, I/2) of a
/// query's embedding under class c, so a query is evidence about the heads too; the posterior
/// predictive averages over q(. | D_tr) each class's density of the query and then normalizes
/// over the classes, p(y = c | x, D_tr) ∝ E_{p_c}[exp(−||e − p_c||^2)], computed exactly
/// (predictive_logits). **Decision:** not the average of the sampled heads' softmaxes, which
/// ignores that evidence: in D dimensions almost every sampled head puts each prototype
/// farther from the query by a noise of its own (the Σ_j σ_j² ε_j² of the distance), and the
/// average comes out underconfident (measured on the glyphs: docs/learn.md; and with the exact
/// posterior of Gaussian classes, where this prediction is the Bayes classifier:
/// bench/versa_predictive.py). Nor a Monte-Carlo estimate of the average: in 32 dimensions 10
/// heads are dominated by the nearest one (docs/learn.md). The reported training accuracy is
/// that of the mean head of q(. | D_tr).
class Versa final : public EpisodicLearner {
 public:
  explicit Versa(LearnerConfig config);

  std::string name() const override { return "versa"; }
  std::vector<nn::ParamSpec> specs() const override;
  Var task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                  Metrics* out = nullptr) const override;
  /// log p(y | x, D_tr) [Q, ways]: the log-softmax of predictive_logits under q(. | D_tr).
  Tensor predict(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                 const Tensor& query) const override;

  /// q(prototypes | embeddings [T, N, D] with labels [T, N]): mean and standard deviation
  /// [T, ways, D], with history.
  std::pair<Var, Var> posterior(const nn::ParamList& theta, const Var& embeddings, const Tensor& labels) const;
};

/// Logits -||e - p||^2 [T, Q, S, ways] of queries [T, Q, D] under prototypes [T, S, ways, D].
Var head_logits(const Var& queries, const Var& heads);

/// log E_{p_c ~ N(mean_c, diag std_c^2)} exp(-||e - p_c||^2) [T, Q, ways] of queries [T, Q, D]
/// under Gaussian prototypes (mean, std [T, ways, D]): -Σ_j (e_j - μ_cj)^2 / v_cj - ½ Σ_j log v_cj,
/// v = 1 + 2 std^2. The exact average over heads of what head_logits gives one head; its
/// log-softmax over the classes is versa's prediction.
Var predictive_logits(const Var& queries, const Var& mean, const Var& std);

}  // namespace cz::learn
