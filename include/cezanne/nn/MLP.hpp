// MLP: a stack of linear layers (sinusoid regression, embeddings of feature vectors).
#pragma once

#include <cstdint>
#include <vector>

#include "cezanne/nn/Activation.hpp"
#include "cezanne/nn/Model.hpp"

namespace cz::nn {

/// sizes {in, h1, ..., hk, out}: k hidden linear layers "layer{i}.weight" [h_{i+1}, h_i],
/// "layer{i}.bias", each followed by `activation`, then the head "head.weight" [out, hk],
/// "head.bias" with no activation. Hidden weights: kaiming_uniform (gain √2 for relu, 1
/// otherwise); head weight: kaiming_uniform gain 1; biases zero.
/// Input x [..., in]; with the task axis [T, N, in].
class MLP final : public Model {
 public:
  /// Throws std::invalid_argument when sizes has fewer than 2 entries or one is < 1.
  explicit MLP(std::vector<int64_t> sizes, Activation activation = Activation::relu);

  std::vector<ParamSpec> specs() const override;
  size_t head_begin() const override { return 2 * (sizes_.size() - 2); }
  Var forward(const ParamList& p, const Var& x) const override;
  Var embed(const ParamList& p, const Var& x) const override;
  Var forward_tasks(const ParamList& p, const Var& x) const override;
  Var embed_tasks(const ParamList& p, const Var& x) const override;
  int64_t feature_size() const override { return sizes_[sizes_.size() - 2]; }
  int64_t output_size() const override { return sizes_.back(); }

  const std::vector<int64_t>& sizes() const { return sizes_; }
  Activation activation() const { return activation_; }

 private:
  Var run(const ParamList& p, const Var& x, bool task_axis, bool head) const;
  std::vector<int64_t> sizes_;
  Activation activation_;
};

}  // namespace cz::nn
