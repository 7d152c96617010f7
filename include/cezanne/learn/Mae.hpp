// Mae: the masked autoencoder (notes: "Reconstruction-based unsupervised pre-training"; He et al.).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cezanne/learn/UnlabelledObjective.hpp"
#include "cezanne/nn/Vit.hpp"

namespace cz::learn {

/// Sizes of a masked autoencoder.
struct MaeSpec {
  nn::VitSpec encoder;          ///< the ViT whose body is the encoder
  nn::TransformerSpec decoder{32, 2, 4, 4};  ///< the light decoder
  double mask_ratio = 0.75;     ///< round(ratio x patches) of each image are masked
  bool norm_pix = false;        ///< targets: each patch's pixels normalized by its mean and variance
};

/// The masked autoencoder: cut each image into patches, embed each with a position embedding
/// (the encoder is nn::Vit's body, its parameters named as Vit names them, so --init-from loads
/// them into --model vit), drop a random mask_ratio of the patches, run the encoder on the
/// visible ones only, then a light decoder on all positions: the encoded visible tokens
/// ("decoder.embed" to the decoder's width) and a learned "decoder.mask_token" at every masked
/// position, plus "decoder.pos"; its transformer "decoder.block{b}.*", "decoder.norm.*", and
/// "decoder.pred" to the pixels of a patch. The loss of an example is the mean squared error of
/// the predicted pixels of its masked patches only. The mask is counter-based: a pure function
/// of (seed, step, the example's global index slot x B + position), so a step's losses do not
/// depend on the number of ranks.
class Mae final : public UnlabelledObjective {
 public:
  /// Throws std::invalid_argument "--<option>: ..." for bad sizes, and when the ratio leaves no
  /// patch masked or none visible ("--mask-ratio: 0.99 masks all 16 patches ...").
  explicit Mae(MaeSpec spec);

  const MaeSpec& spec() const { return spec_; }
  /// Patches masked of every image: round(mask_ratio x patches).
  int64_t masked() const { return masked_; }
  std::string name() const override { return "mae"; }
  std::vector<nn::ParamSpec> specs() const override;
  std::string description() const override;
  Var losses(const nn::ParamList& theta, const data::TaskBatch& batch, uint64_t seed) const override;
  std::vector<std::string> metrics() const override { return {"masked_mse"}; }
  std::vector<double> evaluate(const nn::ParamList& theta, const Tensor& inputs, int64_t index,
                               uint64_t seed) const override;
  /// The encoder on all patches (no mask), its P tokens in patch order [N, P x D] (their mean is
  /// nn::Vit::embed).
  Var embed(const nn::ParamList& theta, const Tensor& images) const override;

  /// The patch order of example `example` of the stream `key`: a permutation of the patches,
  /// the first patches() - masked() visible, the rest masked.
  std::vector<int64_t> patch_order(uint64_t key, uint64_t example) const;
  /// The loss of each of images [N, C, H, W] [N] with the patch orders `orders` (N of them).
  Var masked_losses(const nn::ParamList& theta, const Var& images,
                    const std::vector<std::vector<int64_t>>& orders) const;

 private:
  MaeSpec spec_;
  nn::Vit vit_;
  int64_t masked_;
  size_t decoder_first_;  // index of decoder.embed.weight in specs()
};

}  // namespace cz::learn
