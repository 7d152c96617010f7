// Vae: the variational autoencoder (notes: "Latent variable models and variational inference").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cezanne/learn/ConvCoder.hpp"
#include "cezanne/learn/UnlabelledObjective.hpp"
#include "cezanne/nn/MLP.hpp"

namespace cz::learn {

/// The decoder's distribution p(x|z) over the pixels (in [0, 1]).
enum class Likelihood {
  bernoulli,  ///< independent Bernoulli per pixel, the decoder outputs logits
  gaussian    ///< independent Gaussian per pixel: the decoder outputs means, and a learned
              ///< per-pixel log-variance "decoder.log_variance" [D] (zeros) the variances
};

/// "bernoulli" or "gaussian"; throws std::invalid_argument "--likelihood: bernoulli or gaussian, got 'x'".
Likelihood parse_likelihood(const std::string& name);
const char* likelihood_name(Likelihood likelihood);

/// Sizes and weights of a VAE.
struct VaeSpec {
  int64_t inputs = 784;   ///< D = C x H x W pixels of an example
  int64_t hidden = 400;   ///< mlp: hidden units of the encoder and of the decoder
  int64_t latent = 20;    ///< L: size of z
  Likelihood likelihood = Likelihood::bernoulli;
  double beta = 1.0;      ///< weight of the KL term in the training loss (1: the ELBO)
  int64_t iwae_samples = 5000;  ///< k of the importance-weighted bound in evaluation
  bool convolutional = false;   ///< the convolutional encoder and decoder instead of the MLPs
  int64_t filters = 64;   ///< convolutional: filters of every convolution
  int64_t channels = 1;   ///< convolutional: C of the square images (inputs = C x image^2)
  int64_t image = 28;     ///< convolutional: side of the images, a multiple of 4, >= 16
};

/// KL(N(mean, exp(log_variance)) || N(0, I)) of each row, in closed form: [..., L] -> [...],
/// 0.5 * sum(mean^2 + exp(log_variance) - 1 - log_variance).
Var gaussian_kl(const Var& mean, const Var& log_variance);

/// The VAE (Kingma and Welling): prior p(z) = N(0, I); encoder q(z|x) = N(mean(x),
/// diag(exp(log_variance(x)))), an MLP D-hidden-2L ("encoder.layer0.*", "encoder.head.*":
/// mean, then log-variance); decoder p(x|z), an MLP L-hidden-D ("decoder.layer0.*",
/// "decoder.head.*") with relu hidden layers. Convolutional: ConvCoder's encoder (Conv4's
/// body without batch norm, its convolutions named as Conv4 names them) to 2L and its
/// upsampling decoder from L. Batch norm is left out so that an example's bounds do not depend on
/// the others of its batch. Training maximizes the ELBO
/// E_q[log p(x|z)] - beta KL(q(z|x) || p(z)), one reparameterized sample z = mean + sigma * eps
/// per example, eps ~ N(0, I) counter-based: Tensor::normal keyed by (seed, step) at counter
/// (global example index) x L. Evaluation: the ELBO (beta 1, analytic KL, averaged over k
/// samples) and the importance-weighted bound log (1/k) sum_k p(x, z_k) / q(z_k|x) (Burda et
/// al.), both in nats per example.
class Vae final : public UnlabelledObjective {
 public:
  /// Throws std::invalid_argument naming the value when a size is < 1, beta < 0 or
  /// iwae_samples < 1.
  explicit Vae(VaeSpec spec);

  const VaeSpec& spec() const { return spec_; }
  std::string name() const override { return "vae"; }
  std::vector<nn::ParamSpec> specs() const override;
  std::string description() const override;
  Var losses(const nn::ParamList& theta, const data::TaskBatch& batch, uint64_t seed) const override;
  std::vector<std::string> metrics() const override { return {"negative_elbo", "negative_iwae"}; }
  std::string unit() const override { return "nats"; }
  std::vector<double> evaluate(const nn::ParamList& theta, const Tensor& inputs, int64_t index,
                               uint64_t seed) const override;
  /// The encoder's mean [N, L].
  Var embed(const nn::ParamList& theta, const Tensor& images) const override;

  /// q(z|x) of x [N, D]: mean and log-variance [N, L].
  struct Posterior {
    Var mean, log_variance;
  };
  Posterior encode(const nn::ParamList& theta, const Var& x) const;
  /// The decoder's output for z [..., L]: logits (bernoulli) or means (gaussian) [..., D].
  Var decode(const nn::ParamList& theta, const Var& z) const;
  /// log p(x|z) [S, N] of x [N, D] and z [S, N, L].
  Var log_likelihood(const nn::ParamList& theta, const Var& x, const Var& z) const;
  /// The ELBO of each example [N] with noise eps [S, N, L]: the mean over the S samples of
  /// log p(x|z_s) minus `beta` x the analytic KL.
  Var elbo(const nn::ParamList& theta, const Var& x, const Tensor& eps, double beta) const;
  /// log p(x, z_s) - log q(z_s|x) [S, N] with z_s = mean + sigma * eps_s.
  Var log_weights(const nn::ParamList& theta, const Var& x, const Tensor& eps) const;
  /// (ELBO, k-sample bound) of one example x [1, D] with k samples of the noise stream `key`
  /// (counter s x L for sample s), in nats; chunks of samples keep the memory small.
  std::pair<double, double> bounds(const nn::ParamList& theta, const Var& x, int64_t k, uint64_t key) const;

 private:
  nn::ParamList encoder_params(const nn::ParamList& theta) const;
  nn::ParamList decoder_params(const nn::ParamList& theta) const;
  VaeSpec spec_;
  ConvCoder conv_;  // the convolutional variant's
  nn::MLP encoder_, decoder_;  // the MLP variant's
  std::vector<nn::ParamSpec> encoder_specs_, decoder_specs_;  // without the log-variance
};

}  // namespace cz::learn
