// Neural process: amortized inference of a task latent z from its support set (regression).
#pragma once

#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn {

/// A neural process (Garnelo et al. 2018) with a deterministic and a latent path, for
/// regression tasks (sinusoids, --model mlp; the model only fixes the input and output sizes:
/// 1 and 1). Width h = config.hidden.
///  - deterministic path: r = mean over the support of MLP([x, y]) (2 -> h -> h);
///  - latent path: s = mean over a set of relu(MLP([x, y])) (2 -> h -> h), q(z | set) =
///    N(mu(s), sigma(s)^2) with sigma = 0.1 + 0.9 sigmoid(.), z of size h;
///  - decoder: [x, r, z] -> h -> h -> (mu, sigma = 0.1 + 0.9 softplus(.)), a Gaussian per point.
/// Meta-training minimizes the negative ELBO of the notes per query point: with z_s ~ q(z | D_tr
/// ∪ D_ts), s = 1..samples (reparameterized),
///   loss = -(1/(S Q)) Σ_s Σ_query log N(y; mu(x, r, z_s), sigma^2) + KL(q(z|D_tr ∪ D_ts) || q(z|D_tr)) / Q
///          - (1/Q) Σ_query log (1/S) Σ_s N(y; mu(x, r, z'_s), sigma^2),
/// the last VERSA's predictive term (as Versa's), with z'_s ~ q(z | D_tr) on their own noise
/// stream: the ELBO alone fits the decoder's sigma under latents that have seen the queries,
/// and its intervals were too narrow from q(z | D_tr) (coverage 92.7% at K = 5, docs/results.md).
/// At test, z_s ~ q(z | D_tr) and the predictive distribution is the mixture over the samples,
/// reported by its moments: mean = avg mu_s, variance = avg(sigma_s^2 + mu_s^2) - mean^2.
class NeuralProcess final : public EpisodicLearner {
 public:
  /// Throws "neural_process: regression only (sinusoid tasks, --model mlp)" for a classifier.
  explicit NeuralProcess(LearnerConfig config);

  std::string name() const override { return "neural_process"; }
  std::vector<nn::ParamSpec> specs() const override;
  Var task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                  Metrics* out = nullptr) const override;
  /// The predictive mean [Q, 1].
  Tensor predict(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                 const Tensor& query) const override;
  Predictive predict_distribution(const nn::ParamList& theta, const Tensor& support,
                                  const Tensor& support_labels, const Tensor& query) const override;

  /// q(z | x [T, N, 1], y [T, N, 1]): mean and standard deviation [T, h], with history.
  std::pair<Var, Var> posterior(const nn::ParamList& theta, const Tensor& x, const Tensor& y) const;

  /// The decoder's mean and standard deviation [T, S, M] at points x [T, M, 1] for the support's
  /// deterministic summary and latents z [T, S, h].
  std::pair<Var, Var> decode(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                             const Tensor& x, const Var& z) const;
};

}  // namespace cz::learn
