// The convolutional autoencoder: code, reconstruction, pixel MSE; denoising by counter-based noise.
#include "cezanne/learn/Autoencoder.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::learn {
namespace {

// Streams of the input noise: training steps and evaluation examples never share one.
constexpr uint64_t kTrainNoise = 0x61652d747261696eull;  // "ae-train"
constexpr uint64_t kEvalNoise = 0x61652d6576616c00ull;   // "ae-eval"

}  // namespace

Autoencoder::Autoencoder(AutoencoderSpec spec) : spec_(spec) {
  if (spec.coder.filters < 1) throw std::invalid_argument("--filters: must be >= 1, got " + std::to_string(spec.coder.filters));
  if (spec.bottleneck < 1)
    throw std::invalid_argument("--bottleneck: must be >= 1, got " + std::to_string(spec.bottleneck));
  if (!(spec.noise >= 0.0) || !std::isfinite(spec.noise))
    throw std::invalid_argument("--noise: must be >= 0, got " + std::to_string(spec.noise));
  spec.coder.check("the convolutional autoencoder");
  encoder_size_ = spec.coder.encoder_specs(spec.bottleneck).size();
}

std::vector<nn::ParamSpec> Autoencoder::specs() const {
  std::vector<nn::ParamSpec> all = spec_.coder.encoder_specs(spec_.bottleneck);
  for (const nn::ParamSpec& p : spec_.coder.decoder_specs(spec_.bottleneck)) all.push_back(p);
  return all;
}

std::string Autoencoder::description() const {
  char noise[32];
  std::snprintf(noise, sizeof noise, "%g", spec_.noise);
  const ConvCoder& c = spec_.coder;
  return "autoencoder conv4 filters=" + std::to_string(c.filters) + " channels=" + std::to_string(c.channels) +
         " image=" + std::to_string(c.image) + " bottleneck=" + std::to_string(spec_.bottleneck) + " noise=" + noise;
}

Var Autoencoder::reconstruction_losses(const nn::ParamList& theta, const Var& inputs, const Var& x) const {
  const auto split = theta.begin() + static_cast<std::ptrdiff_t>(encoder_size_);
  const Var code = spec_.coder.encode(nn::ParamList(theta.begin(), split), inputs);
  const Var d = spec_.coder.decode(nn::ParamList(split, theta.end()), code) - x;  // [N, D]
  return mean(d * d, {1});
}

Var Autoencoder::losses(const nn::ParamList& theta, const data::TaskBatch& batch, uint64_t seed) const {
  const int64_t rows = batch.inputs.size(0), b = batch.inputs.size(1);
  const int64_t pixels = spec_.coder.channels * spec_.coder.image * spec_.coder.image;
  const DType dtype = theta.front().dtype();
  const Var x(batch.inputs.to(dtype).reshape({rows * b, pixels}));
  Var inputs = x;
  if (spec_.noise > 0.0) {
    // Example i of the row in slot s is the step's example s * B + i, on any number of ranks.
    const uint64_t key = mix_key({seed, kTrainNoise, static_cast<uint64_t>(batch.step)});
    std::vector<Tensor> noise;
    for (int64_t r = 0; r < rows; ++r)
      noise.push_back(Tensor::normal({b, pixels}, 0.0, spec_.noise, key,
                                     static_cast<uint64_t>(batch.slots.at(r) * b * pixels), dtype, x.device()));
    inputs = x + Var(cat(noise, 0));
  }
  return mean(reshape(reconstruction_losses(theta, inputs, x), {rows, b}), {1});
}

std::vector<double> Autoencoder::evaluate(const nn::ParamList& theta, const Tensor& inputs, int64_t index,
                                          uint64_t seed) const {
  NoGradGuard no_grad;
  const int64_t pixels = spec_.coder.channels * spec_.coder.image * spec_.coder.image;
  const DType dtype = theta.front().dtype();
  const Var x(inputs.to(dtype).reshape({1, pixels}));
  Var noisy = x;
  if (spec_.noise > 0.0)
    noisy = x + Var(Tensor::normal({1, pixels}, 0.0, spec_.noise,
                                   mix_key({seed, kEvalNoise, static_cast<uint64_t>(index)}), 0, dtype, x.device()));
  return {reconstruction_losses(theta, noisy, x).item()};
}

Var Autoencoder::embed(const nn::ParamList& theta, const Tensor& images) const {
  return spec_.coder.encode(nn::ParamList(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(encoder_size_)),
                            Var(images.to(theta.front().dtype())));
}

}  // namespace cz::learn
