// The VAE: encoder, decoder, reparameterized ELBO with the analytic KL, importance-weighted bound.
#include "cezanne/learn/Vae.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "LearnDetail.hpp"
#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/Linear.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::learn {
namespace {

// Streams of the noise: training steps and evaluation examples never share one.
constexpr uint64_t kTrainNoise = 0x7661652d74726169ull;  // "vae-trai"
constexpr uint64_t kEvalNoise = 0x7661652d6576616cull;   // "vae-eval"
// Samples of the k-sample bound per pass: [kChunk, D] decoder outputs at a time.
constexpr int64_t kChunk = 500;

std::vector<nn::ParamSpec> prefixed(const std::string& prefix, std::vector<nn::ParamSpec> specs) {
  for (nn::ParamSpec& s : specs) s.name = prefix + s.name;
  return specs;
}

}  // namespace

Likelihood parse_likelihood(const std::string& name) {
  if (name == "bernoulli") return Likelihood::bernoulli;
  if (name == "gaussian") return Likelihood::gaussian;
  throw std::invalid_argument("--likelihood: bernoulli or gaussian, got '" + name + "'");
}

const char* likelihood_name(Likelihood likelihood) {
  return likelihood == Likelihood::bernoulli ? "bernoulli" : "gaussian";
}

Var gaussian_kl(const Var& mean, const Var& log_variance) {
  const int64_t last = mean.dim() - 1;
  return sum(mean * mean + exp(log_variance) - 1.0 - log_variance, {last}) * 0.5;
}

Vae::Vae(VaeSpec spec)
    : spec_(spec),
      conv_{spec.channels, spec.image, spec.filters},
      encoder_({spec.inputs, std::max<int64_t>(spec.hidden, 1), 2 * std::max<int64_t>(spec.latent, 1)}),
      decoder_({std::max<int64_t>(spec.latent, 1), std::max<int64_t>(spec.hidden, 1), spec.inputs}) {
  auto fail = [](const std::string& option, const std::string& why) {
    throw std::invalid_argument("--" + option + ": " + why);
  };
  if (spec.hidden < 1) fail("hidden", "must be >= 1, got " + std::to_string(spec.hidden));
  if (spec.latent < 1) fail("latent", "must be >= 1, got " + std::to_string(spec.latent));
  if (!(spec.beta >= 0.0) || !std::isfinite(spec.beta)) fail("beta", "must be >= 0, got " + std::to_string(spec.beta));
  if (spec.iwae_samples < 1) fail("iwae-samples", "must be >= 1, got " + std::to_string(spec.iwae_samples));
  if (!spec.convolutional) {
    encoder_specs_ = prefixed("encoder.", encoder_.specs());
    decoder_specs_ = prefixed("decoder.", decoder_.specs());
    return;
  }
  if (spec.filters < 1) fail("filters", "must be >= 1, got " + std::to_string(spec.filters));
  conv_.check("the convolutional VAE");
  if (spec.inputs != spec.channels * spec.image * spec.image)
    throw std::invalid_argument("VaeSpec: inputs " + std::to_string(spec.inputs) + " are not channels x image^2");
  encoder_specs_ = conv_.encoder_specs(2 * spec.latent);
  decoder_specs_ = conv_.decoder_specs(spec.latent);
}

std::vector<nn::ParamSpec> Vae::specs() const {
  std::vector<nn::ParamSpec> all = encoder_specs_;
  all.insert(all.end(), decoder_specs_.begin(), decoder_specs_.end());
  if (spec_.likelihood == Likelihood::gaussian) all.push_back({"decoder.log_variance", {spec_.inputs}, {}});
  return all;
}

std::string Vae::description() const {
  char beta[32];
  std::snprintf(beta, sizeof beta, "%g", spec_.beta);
  const std::string model =
      spec_.convolutional ? "conv4 filters=" + std::to_string(spec_.filters) + " channels=" + std::to_string(spec_.channels) +
                                " image=" + std::to_string(spec_.image) + " latent=" + std::to_string(spec_.latent)
                          : "mlp " + std::to_string(spec_.inputs) + "-" + std::to_string(spec_.hidden) + "-" +
                                std::to_string(spec_.latent);
  return "vae " + model + " " + likelihood_name(spec_.likelihood) + " beta=" + beta;
}

nn::ParamList Vae::encoder_params(const nn::ParamList& theta) const {
  const size_t n = encoder_specs_.size();
  return nn::ParamList(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(n));
}

nn::ParamList Vae::decoder_params(const nn::ParamList& theta) const {
  const size_t first = encoder_specs_.size(), n = decoder_specs_.size();
  return nn::ParamList(theta.begin() + static_cast<std::ptrdiff_t>(first),
                       theta.begin() + static_cast<std::ptrdiff_t>(first + n));
}

Vae::Posterior Vae::encode(const nn::ParamList& theta, const Var& x) const {
  const Var h = spec_.convolutional ? conv_.encode(encoder_params(theta), x)
                                    : encoder_.forward(encoder_params(theta), x);  // [N, 2L]
  const int64_t last = h.dim() - 1, l = spec_.latent;
  return {slice(h, last, 0, l), slice(h, last, l, 2 * l)};
}

Var Vae::decode(const nn::ParamList& theta, const Var& z) const {
  return spec_.convolutional ? conv_.decode(decoder_params(theta), z)
                              : decoder_.forward(decoder_params(theta), z);
}

Var Vae::log_likelihood(const nn::ParamList& theta, const Var& x, const Var& z) const {
  const Var out = decode(theta, z);  // [S, N, D]
  const int64_t last = out.dim() - 1;
  if (spec_.likelihood == Likelihood::bernoulli) return sum(x * out - detail::softplus(out), {last});
  const Var& log_variance = theta.back();  // [D]
  const Var d = x - out;
  return sum((log_variance + d * d * exp(-log_variance) + std::log(2 * std::numbers::pi)) * -0.5, {last});
}

Var Vae::elbo(const nn::ParamList& theta, const Var& x, const Tensor& eps, double beta) const {
  const Posterior q = encode(theta, x);
  const Var z = q.mean + exp(q.log_variance * 0.5) * Var(eps);  // [S, N, L]
  const Var reconstruction = mean(log_likelihood(theta, x, z), {0});
  return beta == 0.0 ? reconstruction : reconstruction - gaussian_kl(q.mean, q.log_variance) * beta;
}

Var Vae::log_weights(const nn::ParamList& theta, const Var& x, const Tensor& eps) const {
  const Posterior q = encode(theta, x);
  const Var e(eps);
  const Var z = q.mean + exp(q.log_variance * 0.5) * e;
  // log p(z) - log q(z|x): the log(2 pi) terms cancel, and z - mean = sigma * eps.
  const Var prior_minus_q = sum(e * e - z * z, {2}) * 0.5 + sum(q.log_variance, {1}) * 0.5;
  return log_likelihood(theta, x, z) + prior_minus_q;
}

std::pair<double, double> Vae::bounds(const nn::ParamList& theta, const Var& x, int64_t k, uint64_t key) const {
  NoGradGuard no_grad;
  const int64_t l = spec_.latent;
  const Posterior q = encode(theta, x);
  const double kl = gaussian_kl(q.mean, q.log_variance).data().to_vector().at(0);
  std::vector<double> log_w, reconstruction;
  for (int64_t done = 0; done < k; done += kChunk) {
    const int64_t c = std::min(kChunk, k - done);
    const Var e(Tensor::normal({c, 1, l}, 0.0, 1.0, key, static_cast<uint64_t>(done * l), x.dtype(), x.device()));
    const Var z = q.mean + exp(q.log_variance * 0.5) * e;
    const Var ll = log_likelihood(theta, x, z);  // [c, 1]
    const Var w = ll + sum(e * e - z * z, {2}) * 0.5 + sum(q.log_variance, {1}) * 0.5;
    for (const double v : ll.data().to_vector()) reconstruction.push_back(v);
    for (const double v : w.data().to_vector()) log_w.push_back(v);
  }
  double top = -std::numeric_limits<double>::infinity(), sum_ll = 0.0;
  for (const double v : log_w) top = std::max(top, v);
  for (const double v : reconstruction) sum_ll += v;
  double total = 0.0;
  for (const double v : log_w) total += std::exp(v - top);
  const double dk = static_cast<double>(k);
  return {sum_ll / dk - kl, top + std::log(total / dk)};
}

Var Vae::losses(const nn::ParamList& theta, const data::TaskBatch& batch, uint64_t seed) const {
  const int64_t rows = batch.inputs.size(0), b = batch.inputs.size(1), l = spec_.latent;
  const DType dtype = theta.front().dtype();
  const Device device = theta.front().device();
  const uint64_t key = mix_key({seed, kTrainNoise, static_cast<uint64_t>(batch.step)});
  // Example i of the row in slot s is the step's example s * B + i: its noise is the same on
  // any number of ranks.
  std::vector<Tensor> noise;
  for (int64_t r = 0; r < rows; ++r)
    noise.push_back(Tensor::normal({b, l}, 0.0, 1.0, key, static_cast<uint64_t>(batch.slots.at(r) * b * l),
                                      dtype, device));
  const Tensor eps = cat(noise, 0).reshape({1, rows * b, l});
  const Var x(batch.inputs.to(dtype).reshape({rows * b, spec_.inputs}));
  const Var negative = -elbo(theta, x, eps, spec_.beta);  // [rows * B]
  return mean(reshape(negative, {rows, b}), {1});
}

std::vector<double> Vae::evaluate(const nn::ParamList& theta, const Tensor& inputs, int64_t index,
                                  uint64_t seed) const {
  const Var x(inputs.to(theta.front().dtype()).reshape({1, spec_.inputs}));
  const auto [elbo_value, iwae] =
      bounds(theta, x, spec_.iwae_samples, mix_key({seed, kEvalNoise, static_cast<uint64_t>(index)}));
  return {-elbo_value, -iwae};
}

Var Vae::embed(const nn::ParamList& theta, const Tensor& images) const {
  return encode(theta, Var(images.to(theta.front().dtype()).reshape({images.size(0), spec_.inputs}))).mean;
}

}  // namespace cz::learn
