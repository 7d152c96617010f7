// Neural process: deterministic and latent set encoders, a Gaussian decoder, the ELBO per task.
#include "cezanne/learn/NeuralProcess.hpp"

#include <cmath>
#include <stdexcept>

#include "LearnDetail.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/Gaussian.hpp"
#include "cezanne/nn/Linear.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {
namespace {

// Parameter indices, in the order of specs() (weight, bias of each linear layer).
enum : size_t {
  kDeterministic0 = 0,
  kDeterministic1 = 2,
  kLatent0 = 4,
  kLatent1 = 6,
  kLatentMean = 8,
  kLatentScale = 10,
  kDecoder0 = 12,
  kDecoder1 = 14,
  kDecoderOut = 16
};

Var layer(const nn::ParamList& theta, size_t first, const Var& x) {
  return nn::linear(x, theta[first], theta[first + 1]);
}

// The set [x, y] of a task's points: [T, N, 2].
Var pairs(const Tensor& x, const Tensor& y) { return cat({Var(x), Var(y.to(x.dtype()))}, 2); }

}  // namespace

NeuralProcess::NeuralProcess(LearnerConfig config) : EpisodicLearner(std::move(config)) {
  config_.algorithm = name();
  if (config_.loss != Loss::mse)
    throw std::invalid_argument("neural_process: regression only (sinusoid tasks, --model mlp)");
  if (config_.hidden < 1)
    throw std::invalid_argument("neural_process: hidden must be >= 1, got " + std::to_string(config_.hidden));
}

std::vector<nn::ParamSpec> NeuralProcess::specs() const {
  const int64_t h = config_.hidden;
  std::vector<nn::ParamSpec> s;
  auto add = [&](const std::string& prefix, int64_t in, int64_t out) {
    for (nn::ParamSpec& p : nn::linear_specs(prefix, in, out)) s.push_back(p);
  };
  add("deterministic.layer0", 2, h);
  add("deterministic.layer1", h, h);
  add("latent.layer0", 2, h);
  add("latent.layer1", h, h);
  add("latent.mean", h, h);
  add("latent.scale", h, h);
  add("decoder.layer0", 1 + 2 * h, h);
  add("decoder.layer1", h, h);
  add("decoder.out", h, 2);
  return s;
}

std::pair<Var, Var> NeuralProcess::posterior(const nn::ParamList& theta, const Tensor& x,
                                             const Tensor& y) const {
  const Var hidden = relu(layer(theta, kLatent1, relu(layer(theta, kLatent0, pairs(x, y)))));
  const Var s = mean(hidden, {1});  // [T, h]
  return {layer(theta, kLatentMean, s), 0.1 + 0.9 * sigmoid(layer(theta, kLatentScale, s))};
}

std::pair<Var, Var> NeuralProcess::decode(const nn::ParamList& theta, const Tensor& support,
                                          const Tensor& support_labels, const Tensor& x,
                                          const Var& z) const {
  const Var r = mean(layer(theta, kDeterministic1, relu(layer(theta, kDeterministic0, pairs(support, support_labels)))),
                     {1});  // [T, h]
  const int64_t tasks = x.size(0), points = x.size(1), samples = z.size(1), h = config_.hidden;
  const Shape grid{tasks, samples, points, h};
  const Var input = cat({expand(unsqueeze(Var(x), 1), {tasks, samples, points, 1}),
                         expand(unsqueeze(unsqueeze(r, 1), 1), grid), expand(unsqueeze(z, 2), grid)},
                        3);  // [T, S, M, 1 + 2h]
  const Var hidden = relu(layer(theta, kDecoder1, relu(layer(theta, kDecoder0, input))));
  const Var out = layer(theta, kDecoderOut, hidden);  // [T, S, M, 2]
  return {select(out, 3, 0), 0.1 + 0.9 * detail::softplus(select(out, 3, 1))};
}

Var NeuralProcess::task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                               Metrics* out) const {
  detail::check_theta(name(), specs(), theta);
  detail::check_batch(name(), config_, batch);
  const int64_t tasks = batch.support.size(0), queries = batch.query.size(1);
  const DType dtype = theta[0].dtype();
  const Tensor sx = batch.support.to(dtype), sy = batch.support_labels.to(dtype);
  const Tensor qx = batch.query.to(dtype), qy = batch.query_labels.to(dtype);
  const auto [prior_mean, prior_std] = posterior(theta, sx, sy);  // q(z | D_tr)
  const auto [post_mean, post_std] = posterior(theta, cz::cat(std::vector<Tensor>{sx, qx}, 1), cz::cat(std::vector<Tensor>{sy, qy}, 1));
  const Tensor noise = task_noise({config_.samples, config_.hidden}, config_.sample_seed, batch.step,
                                  task_keys(batch.task_indices, tasks), dtype, theta[0].device());
  const Var z = unsqueeze(post_mean, 1) + unsqueeze(post_std, 1) * Var(noise);  // [T, S, h]
  const auto [mu, sigma] = decode(theta, sx, sy, qx, z);                      // [T, S, Q]
  const Var target = unsqueeze(Var(qy.select(2, 0)), 1);                      // [T, 1, Q]
  const Var nll = -mean(gaussian_log_density(target, mu, sigma), {1, 2});     // [T]
  const Var kl = sum(gaussian_kl(post_mean, post_std, prior_mean, prior_std), {1});
  // The predictive term (as versa's): latents z'_s from q(z | D_tr), the distribution prediction
  // samples from, on their own noise stream; -log (1/S) sum_s N(y | mu_s, sigma_s^2) per query.
  // The ELBO alone fits sigma to the residuals of a decoder whose z has seen the queries.
  const Tensor support_noise = task_noise({config_.samples, config_.hidden}, config_.sample_seed,
                                          support_stream(batch.step), task_keys(batch.task_indices, tasks), dtype,
                                          theta[0].device());
  const Var z_support = unsqueeze(prior_mean, 1) + unsqueeze(prior_std, 1) * Var(support_noise);
  const auto [mu_support, sigma_support] = decode(theta, sx, sy, qx, z_support);  // [T, S, Q]
  const Var log_predictive =
      logsumexp(gaussian_log_density(target, mu_support, sigma_support), 1) - std::log(static_cast<double>(config_.samples));
  const Var losses = nll + kl / static_cast<double>(queries) - mean(log_predictive, {1});
  if (out) *out = {detail::mean_value(losses.data()), 0.0};
  return losses;
}

Predictive NeuralProcess::predict_distribution(const nn::ParamList& theta, const Tensor& support,
                                               const Tensor& support_labels, const Tensor& query) const {
  detail::check_theta(name(), specs(), theta);
  const data::EpisodeBatch one = detail::single_task(config_, support, support_labels, query);
  detail::check_batch(name(), config_, one);
  NoGradGuard no_grad;
  const DType dtype = theta[0].dtype();
  const Tensor sx = one.support.to(dtype), sy = one.support_labels.to(dtype);
  const auto [z_mean, z_std] = posterior(theta, sx, sy);
  const Tensor noise = task_noise({config_.samples, config_.hidden}, config_.sample_seed, kPredictionStream,
                                  {0}, dtype, theta[0].device());
  const Var z = unsqueeze(z_mean, 1) + unsqueeze(z_std, 1) * Var(noise);
  const auto [mu, sigma] = decode(theta, sx, sy, one.query.to(dtype), z);  // [1, S, Q]
  // The mixture's moments over the samples.
  const Var m = mean(mu, {1});
  const Var second = mean(sigma * sigma + mu * mu, {1});
  const Var variance = clamp(second - m * m, 1e-12, 1e300);
  Predictive p;
  p.mean = unsqueeze(select(m, 0, 0), 1).data().contiguous();
  p.variance = unsqueeze(select(variance, 0, 0), 1).data().contiguous();
  return p;
}

Tensor NeuralProcess::predict(const nn::ParamList& theta, const Tensor& support,
                              const Tensor& support_labels, const Tensor& query) const {
  return predict_distribution(theta, support, support_labels, query).mean;
}

}  // namespace cz::learn
