// Autoencoder: the convolutional autoencoder with a bottleneck, optionally denoising (notes:
// "Reconstruction-based unsupervised pre-training").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cezanne/learn/ConvCoder.hpp"
#include "cezanne/learn/UnlabelledObjective.hpp"

namespace cz::learn {

/// Sizes of an autoencoder.
struct AutoencoderSpec {
  ConvCoder coder;            ///< images and filters
  int64_t bottleneck = 32;    ///< size of the code e
  double noise = 0.0;         ///< std of the Gaussian noise on the inputs (0: a plain autoencoder)
};

/// x -> enc -> e -> dec -> x', loss (x - x')^2 (the mean over the pixels): ConvCoder's encoder
/// to a code of `bottleneck` numbers (the low-dimensional representation that keeps the model
/// from copying its input) and its upsampling decoder back to the pixels. Denoising (noise > 0):
/// the encoder sees x + noise x eps, eps ~ N(0, I) counter-based (keyed by seed and step, at
/// counter (global example index) x pixels, so the step does not depend on the ranks), and the
/// target stays the clean x. Validation: the same loss on held-out examples, their noise keyed
/// by the example's index.
class Autoencoder final : public UnlabelledObjective {
 public:
  /// Throws std::invalid_argument "--<option>: ..." for a size < 1 or a negative noise, and the
  /// ConvCoder's message for an image it cannot take.
  explicit Autoencoder(AutoencoderSpec spec);

  const AutoencoderSpec& spec() const { return spec_; }
  std::string name() const override { return "autoencoder"; }
  std::vector<nn::ParamSpec> specs() const override;
  std::string description() const override;
  Var losses(const nn::ParamList& theta, const data::TaskBatch& batch, uint64_t seed) const override;
  std::vector<std::string> metrics() const override { return {"reconstruction_mse"}; }
  std::vector<double> evaluate(const nn::ParamList& theta, const Tensor& inputs, int64_t index,
                               uint64_t seed) const override;
  /// The code e [N, bottleneck] of the clean images.
  Var embed(const nn::ParamList& theta, const Tensor& images) const override;

  /// The mean squared error of each example [N] of the reconstructions of `inputs` (x with its
  /// noise, [N, C x H x W]) against the clean x [N, C x H x W].
  Var reconstruction_losses(const nn::ParamList& theta, const Var& inputs, const Var& x) const;

 private:
  AutoencoderSpec spec_;
  size_t encoder_size_;
};

}  // namespace cz::learn
