// Conv4: the few-shot backbone (Vinyals et al.; Finn et al.'s MAML).
#pragma once

#include <cstdint>

#include "cezanne/nn/Model.hpp"

namespace cz::nn {

/// 4 x [3x3 conv (padding 1) -> batch norm (batch statistics) -> relu -> 2x2 max-pool], then
/// flatten -> linear head to `ways` logits. Input [N, channels, image, image] (task axis:
/// [T, N, channels, image, image]). Each pool floors, so the feature size is
/// filters * (image / 16)^2. Parameters, per block b in 0..3: "block{b}.conv.weight"
/// [filters, c_in, 3, 3] (xavier_uniform), "block{b}.conv.bias" [filters] (zeros),
/// "block{b}.bn.gamma" (ones), "block{b}.bn.beta" (zeros); then "head.weight"
/// [ways, features] (xavier_uniform), "head.bias" (zeros). head_begin() = 16.
class Conv4 final : public Model {
 public:
  static constexpr int kBlocks = 4;

  /// Throws std::invalid_argument when a size is < 1 or the image is smaller than 16
  /// ("Conv4: image 8 is too small for 4 pooling layers (needs >= 16)").
  Conv4(int64_t filters, int64_t channels, int64_t image, int64_t ways);

  std::vector<ParamSpec> specs() const override;
  size_t head_begin() const override { return 4 * kBlocks; }
  Var forward(const ParamList& p, const Var& x) const override;
  Var embed(const ParamList& p, const Var& x) const override;
  Var forward_tasks(const ParamList& p, const Var& x) const override;
  Var embed_tasks(const ParamList& p, const Var& x) const override;
  int64_t feature_size() const override;
  int64_t output_size() const override { return ways_; }

  int64_t filters() const { return filters_; }
  int64_t channels() const { return channels_; }
  int64_t image() const { return image_; }
  int64_t ways() const { return ways_; }
  /// Spatial side after the 4 pools: image / 16.
  int64_t final_side() const;

 private:
  Var features(const ParamList& p, const Var& x, bool task_axis) const;
  int64_t filters_, channels_, image_, ways_;
};

}  // namespace cz::nn
