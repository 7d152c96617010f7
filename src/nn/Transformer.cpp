// Transformer layers composed of engine ops; the task axis is the linear layers' batched GEMM.
#include "cezanne/nn/Transformer.hpp"

#include <stdexcept>

#include "cezanne/autograd/ops/Attention.hpp"
#include "cezanne/autograd/ops/Normalization.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/nn/Linear.hpp"

namespace cz::nn {

Var layer_norm(const Var& x, const Var& gamma, const Var& beta) {
  if (gamma.dim() == 1) return cz::layer_norm(x, gamma, beta);
  // Per task: [T, D] -> [T, 1, ..., 1, D] against x [T, ..., D].
  Shape shape(static_cast<size_t>(x.dim()), 1);
  shape.front() = gamma.size(0);
  shape.back() = gamma.size(1);
  return cz::layer_norm(x, cz::reshape(gamma, shape), cz::reshape(beta, shape));
}

Var multi_head_self_attention(const Var& x, const Var& qkv_weight, const Var& qkv_bias, const Var& out_weight,
                              const Var& out_bias, int64_t heads) {
  const int64_t l = x.size(-2), d = x.size(-1);
  if (heads < 1 || d % heads != 0)
    throw ShapeError("multi_head_self_attention: " + std::to_string(heads) + " heads do not divide the width " +
                     std::to_string(d) + " of x " + shape_str(x.shape()));
  const Var qkv = linear(x, qkv_weight, qkv_bias);  // [..., L, 3D]
  // [B, L, 3, H, D/H] -> [3, B, H, L, D/H]: every (example, head) one batch of the GEMMs.
  const Var split = permute(reshape(qkv, {-1, l, 3, heads, d / heads}), {2, 0, 3, 1, 4});
  const Var attended = scaled_dot_product_attention(select(split, 0, 0), select(split, 0, 1), select(split, 0, 2));
  const Var joined = reshape(permute(attended, {0, 2, 1, 3}), x.shape());  // heads concatenated
  return linear(joined, out_weight, out_bias);
}

void check_transformer(const TransformerSpec& s, const std::string& what) {
  auto positive = [&](const char* option, int64_t v) {
    if (v < 1) throw std::invalid_argument("--" + what + option + ": must be >= 1, got " + std::to_string(v));
  };
  positive("dim", s.dim);
  positive("depth", s.depth);
  positive("heads", s.heads);
  positive("mlp-ratio", s.mlp_ratio);
  if (s.dim % s.heads != 0)
    throw std::invalid_argument("--" + what + "heads: " + std::to_string(s.heads) + " heads do not divide --" + what +
                                "dim " + std::to_string(s.dim));
}

std::vector<ParamSpec> transformer_specs(const std::string& prefix, const TransformerSpec& s) {
  const int64_t d = s.dim, hidden = s.mlp_ratio * s.dim;
  const Init xavier{Init::xavier_uniform};
  std::vector<ParamSpec> specs;
  for (int64_t b = 0; b < s.depth; ++b) {
    const std::string block = prefix + "block" + std::to_string(b) + ".";
    specs.push_back({block + "ln1.gamma", {d}, {Init::ones}});
    specs.push_back({block + "ln1.beta", {d}, {Init::zeros}});
    for (const ParamSpec& p : linear_specs(block + "attn.qkv", d, 3 * d, true, xavier)) specs.push_back(p);
    for (const ParamSpec& p : linear_specs(block + "attn.out", d, d, true, xavier)) specs.push_back(p);
    specs.push_back({block + "ln2.gamma", {d}, {Init::ones}});
    specs.push_back({block + "ln2.beta", {d}, {Init::zeros}});
    for (const ParamSpec& p : linear_specs(block + "mlp.fc1", d, hidden, true, xavier)) specs.push_back(p);
    for (const ParamSpec& p : linear_specs(block + "mlp.fc2", hidden, d, true, xavier)) specs.push_back(p);
  }
  return specs;
}

Var transformer(const ParamList& p, size_t first, const TransformerSpec& spec, const Var& x) {
  Var h = x;
  for (int64_t b = 0; b < spec.depth; ++b) {
    const Var* q = &p.at(first + static_cast<size_t>(b) * kBlockParams);
    h = h + multi_head_self_attention(nn::layer_norm(h, q[0], q[1]), q[2], q[3], q[4], q[5], spec.heads);
    h = h + linear(gelu(linear(nn::layer_norm(h, q[6], q[7]), q[8], q[9])), q[10], q[11]);
  }
  return h;
}

}  // namespace cz::nn
