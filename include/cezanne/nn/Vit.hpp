// Vit: the vision transformer backbone (Dosovitskiy et al.), small enough for 28x28 glyphs.
#pragma once

#include <cstdint>

#include "cezanne/nn/Model.hpp"
#include "cezanne/nn/Transformer.hpp"

namespace cz::nn {

/// Sizes of a ViT: images [channels, image, image] cut into (image / patch)^2 patches.
struct VitSpec {
  int64_t channels = 1;
  int64_t image = 28;
  int64_t patch = 7;     ///< side of a patch; divides image
  TransformerSpec transformer;  ///< dim 64, depth 4, heads 4, mlp_ratio 4
};

/// Patches [..., C, H, W] -> [..., (H / patch) (W / patch), C patch^2], row-major over the
/// patch grid, each patch flattened as (channel, row, column): the tokens' input and the MAE's
/// pixel targets.
Var patchify(const Var& images, int64_t patch);

/// The ViT: every patch a token through "patch.weight" [D, C patch^2] (xavier_uniform) and
/// "patch.bias", plus a learned position embedding "pos" [P, D] (N(0, 0.02)), then the
/// transformer blocks "block{b}.*" (nn::transformer_specs), the final layer norm "norm.gamma",
/// "norm.beta", the mean of the tokens (the embedding: feature_size() = D) and the linear head
/// "head.weight" [ways, D] (xavier_uniform), "head.bias". Input [N, C, H, W] (task axis:
/// [T, N, C, H, W] with per-task parameters [T, ...]). head_begin() = 5 + 12 x depth. The mean
/// of the tokens rather than a class token: it is what the MAE's embedding is, so a pre-trained
/// encoder loads into this backbone unchanged.
class Vit final : public Model {
 public:
  /// Throws std::invalid_argument "--<option>: ..." naming a size < 1, heads not dividing dim,
  /// or a patch that does not divide the image.
  Vit(VitSpec spec, int64_t ways);

  const VitSpec& spec() const { return spec_; }
  int64_t patches() const;
  /// The specs before the head: the encoder the MAE pre-trains.
  std::vector<ParamSpec> body_specs() const;

  std::vector<ParamSpec> specs() const override;
  size_t head_begin() const override { return 5 + kBlockParams * static_cast<size_t>(spec_.transformer.depth); }
  Var forward(const ParamList& p, const Var& x) const override;
  Var embed(const ParamList& p, const Var& x) const override;
  Var forward_tasks(const ParamList& p, const Var& x) const override;
  Var embed_tasks(const ParamList& p, const Var& x) const override;
  int64_t feature_size() const override { return spec_.transformer.dim; }
  int64_t output_size() const override { return ways_; }

  /// Patch embeddings plus position embeddings: images [(T,) N, C, H, W] -> tokens
  /// [(T,) N, P, D]; p holds at least the body's parameters.
  Var tokens(const ParamList& p, const Var& images, bool task_axis) const;
  /// The blocks and the final layer norm on tokens [(T,) N, L, D] (any subset of the patches,
  /// as the MAE's visible ones) -> [(T,) N, L, D].
  Var encode(const ParamList& p, const Var& tokens) const;

 private:
  Var features(const ParamList& p, const Var& x, bool task_axis) const;
  VitSpec spec_;
  int64_t ways_;
};

}  // namespace cz::nn
