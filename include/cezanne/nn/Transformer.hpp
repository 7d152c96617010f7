// The transformer's layers, functional: multi-head self-attention and the pre-norm block.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cezanne/nn/ParamSpec.hpp"

namespace cz::nn {

/// Layer norm over the last dim of x [..., D] with gamma, beta [D], or per task [T, D] against
/// x [T, ..., D] (reshaped to broadcast over the middle dims). Call it qualified: cz::layer_norm
/// (found by argument-dependent lookup) takes the same arguments.
Var layer_norm(const Var& x, const Var& gamma, const Var& beta);

/// Multi-head self-attention (Vaswani et al.): x [..., L, D] -> [..., L, D]. One linear layer
/// makes queries, keys and values (qkv_weight [3D, D], rows in that order, each split into
/// `heads` heads of D / heads), scaled dot-product attention per head, the heads concatenated,
/// then the output layer (out_weight [D, D]). Task axis: weights [T, ...] and x [T, ..., L, D].
Var multi_head_self_attention(const Var& x, const Var& qkv_weight, const Var& qkv_bias, const Var& out_weight,
                              const Var& out_bias, int64_t heads);

/// Sizes of a stack of transformer blocks.
struct TransformerSpec {
  int64_t dim = 64;     ///< D, the token width
  int64_t depth = 4;    ///< blocks
  int64_t heads = 4;    ///< attention heads, dividing D
  int64_t mlp_ratio = 4;  ///< the MLP's hidden width is mlp_ratio x D
};

/// Throws std::invalid_argument "--<option>: ..." naming the size that is < 1, or heads not
/// dividing dim; `what` prefixes the option names ("" or "decoder-").
void check_transformer(const TransformerSpec& spec, const std::string& what);

/// The parameters of `spec.depth` blocks, block b named "<prefix>block{b}.": ln1.gamma (ones),
/// ln1.beta, attn.qkv.weight [3D, D] and attn.out.weight [D, D] (xavier_uniform), their biases
/// (zeros), ln2.gamma, ln2.beta, mlp.fc1.* [hD, D], mlp.fc2.* [D, hD] (xavier_uniform, zero
/// biases): kBlockParams per block.
std::vector<ParamSpec> transformer_specs(const std::string& prefix, const TransformerSpec& spec);
inline constexpr size_t kBlockParams = 12;

/// The blocks on tokens x [..., L, D] (task axis: every parameter [T, ...], x [T, ..., L, D]),
/// p[first..] in transformer_specs' order. Each block is pre-norm (as ViT and MAE):
/// x + attn(ln1(x)), then x + fc2(gelu(fc1(ln2(x)))).
Var transformer(const ParamList& p, size_t first, const TransformerSpec& spec, const Var& x);

}  // namespace cz::nn
