// The masked autoencoder: encoder on the visible patches, light decoder on all, MSE on the masked.
#include "cezanne/learn/Mae.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/nn/Linear.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::learn {
namespace {

// Streams of the masks: training steps and evaluation examples never share one.
constexpr uint64_t kTrainMask = 0x6d61652d74726169ull;  // "mae-trai"
constexpr uint64_t kEvalMask = 0x6d61652d6576616cull;   // "mae-eval"

// The i64 index [N, L, width] that gathers, along dim 1, position rows[n][j] into row j.
Tensor row_index(const std::vector<std::vector<int64_t>>& rows, size_t begin, size_t end, int64_t width,
                 Device device) {
  const auto n = static_cast<int64_t>(rows.size()), l = static_cast<int64_t>(end - begin);
  std::vector<int64_t> index;
  index.reserve(static_cast<size_t>(n * l * width));
  for (const std::vector<int64_t>& r : rows)
    for (size_t j = begin; j < end; ++j) index.insert(index.end(), static_cast<size_t>(width), r[j]);
  return Tensor::from_i64(index, {n, l, width}, device);
}

}  // namespace

Mae::Mae(MaeSpec spec) : spec_(spec), vit_(spec.encoder, 1) {
  nn::check_transformer(spec.decoder, "decoder-");
  const int64_t p = vit_.patches();
  masked_ = static_cast<int64_t>(std::llround(spec.mask_ratio * static_cast<double>(p)));
  if (!(spec.mask_ratio > 0.0 && spec.mask_ratio < 1.0) || masked_ < 1 || masked_ > p - 1) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%g", spec.mask_ratio);
    throw std::invalid_argument("--mask-ratio: " + std::string(ratio) + " masks " + std::to_string(masked_) + " of " +
                                std::to_string(p) + " patches; at least one must be masked and one visible");
  }
  decoder_first_ = vit_.body_specs().size();
}

std::vector<nn::ParamSpec> Mae::specs() const {
  const int64_t d = spec_.encoder.transformer.dim, dd = spec_.decoder.dim, p = vit_.patches();
  const int64_t pixels = spec_.encoder.channels * spec_.encoder.patch * spec_.encoder.patch;
  const nn::Init xavier{nn::Init::xavier_uniform}, small{nn::Init::normal, 0.0, 0.02};
  std::vector<nn::ParamSpec> specs = vit_.body_specs();
  for (const nn::ParamSpec& s : nn::linear_specs("decoder.embed", d, dd, true, xavier)) specs.push_back(s);
  specs.push_back({"decoder.mask_token", {dd}, small});
  specs.push_back({"decoder.pos", {p, dd}, small});
  for (const nn::ParamSpec& s : nn::transformer_specs("decoder.", spec_.decoder)) specs.push_back(s);
  specs.push_back({"decoder.norm.gamma", {dd}, {nn::Init::ones}});
  specs.push_back({"decoder.norm.beta", {dd}, {nn::Init::zeros}});
  for (const nn::ParamSpec& s : nn::linear_specs("decoder.pred", dd, pixels, true, xavier)) specs.push_back(s);
  return specs;
}

std::string Mae::description() const {
  const nn::VitSpec& e = spec_.encoder;
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%g", spec_.mask_ratio);
  return "mae vit patch=" + std::to_string(e.patch) + " dim=" + std::to_string(e.transformer.dim) +
         " depth=" + std::to_string(e.transformer.depth) + " heads=" + std::to_string(e.transformer.heads) +
         " mlp-ratio=" + std::to_string(e.transformer.mlp_ratio) + " decoder-dim=" +
         std::to_string(spec_.decoder.dim) + " decoder-depth=" + std::to_string(spec_.decoder.depth) +
         " mask-ratio=" + ratio + (spec_.norm_pix ? " norm-pix" : "");
}

std::vector<int64_t> Mae::patch_order(uint64_t key, uint64_t example) const {
  const int64_t p = vit_.patches();
  // P uniforms at counter example x P, sorted: a uniformly random permutation.
  const std::vector<double> u =
      Tensor::uniform({p}, 0.0, 1.0, key, example * static_cast<uint64_t>(p), DType::f64).to_vector();
  std::vector<int64_t> order(static_cast<size_t>(p));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return u[a] < u[b]; });
  return order;
}

Var Mae::masked_losses(const nn::ParamList& theta, const Var& images,
                       const std::vector<std::vector<int64_t>>& orders) const {
  const int64_t n = images.size(0), p = vit_.patches(), visible = p - masked_;
  const int64_t d = spec_.encoder.transformer.dim, dd = spec_.decoder.dim;
  const Device device = images.device();
  const auto v = static_cast<size_t>(visible), all = static_cast<size_t>(p);
  // Encoder: the visible tokens only. tokens: [N, P, D] -> [N, V, D]
  const Var tokens = vit_.tokens(theta, images, false);
  const Var encoded = vit_.encode(theta, gather(tokens, 1, row_index(orders, 0, v, d, device)));
  // Decoder input in patch order: the encoded visible tokens, then a mask token for each masked
  // patch (order), put back at their positions by the inverse permutation. [N, P, Dd]
  const nn::ParamList::const_iterator q = theta.begin() + static_cast<std::ptrdiff_t>(decoder_first_);
  const Var shuffled = cat({nn::linear(encoded, q[0], q[1]), expand(reshape(q[2], {1, 1, dd}), {n, masked_, dd})}, 1);
  std::vector<std::vector<int64_t>> inverse(orders.size(), std::vector<int64_t>(all));
  for (size_t e = 0; e < orders.size(); ++e)
    for (size_t j = 0; j < all; ++j) inverse[e][static_cast<size_t>(orders[e][j])] = static_cast<int64_t>(j);
  Var x = gather(shuffled, 1, row_index(inverse, 0, all, dd, device)) + q[3];
  const size_t norm = decoder_first_ + 4 + nn::kBlockParams * static_cast<size_t>(spec_.decoder.depth);
  x = nn::layer_norm(nn::transformer(theta, decoder_first_ + 4, spec_.decoder, x), theta[norm], theta[norm + 1]);
  const Var prediction = nn::linear(x, theta[norm + 2], theta[norm + 3]);  // [N, P, C patch^2]

  Var target = nn::patchify(images, spec_.encoder.patch);
  if (spec_.norm_pix) {  // as MAE: the unbiased variance of the patch's pixels, eps 1e-6
    const double k = static_cast<double>(target.size(-1));
    const Var centered = target - mean(target, {-1}, true);
    target = centered * pow(sum(centered * centered, {-1}, true) * (1.0 / std::max(k - 1.0, 1.0)) + 1e-6, -0.5);
  }
  // 1 at the masked patches: [N, P]
  std::vector<double> mask(static_cast<size_t>(n * p), 0.0);
  for (size_t e = 0; e < orders.size(); ++e)
    for (size_t j = v; j < all; ++j) mask[e * all + static_cast<size_t>(orders[e][j])] = 1.0;
  const Var masked(Tensor::from(mask, {n, p}, images.dtype(), device));
  const Var error = prediction - target;
  return sum(mean(error * error, {-1}) * masked, {1}) * (1.0 / static_cast<double>(masked_));
}

Var Mae::losses(const nn::ParamList& theta, const data::TaskBatch& batch, uint64_t seed) const {
  const int64_t rows = batch.inputs.size(0), b = batch.inputs.size(1);
  const uint64_t key = mix_key({seed, kTrainMask, static_cast<uint64_t>(batch.step)});
  // Example i of the row in slot s is the step's example s * B + i, on any number of ranks.
  std::vector<std::vector<int64_t>> orders;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < b; ++i) orders.push_back(patch_order(key, static_cast<uint64_t>(batch.slots.at(r) * b + i)));
  Shape images = batch.inputs.shape();
  images.erase(images.begin());
  images[0] = rows * b;
  const Var x(batch.inputs.to(theta.front().dtype()).reshape(images));
  return mean(reshape(masked_losses(theta, x, orders), {rows, b}), {1});
}

std::vector<double> Mae::evaluate(const nn::ParamList& theta, const Tensor& inputs, int64_t index,
                                  uint64_t seed) const {
  NoGradGuard no_grad;
  Shape image = inputs.shape();
  image.erase(image.begin());  // [1, 1, C, H, W] -> [1, C, H, W]
  const Var x(inputs.to(theta.front().dtype()).reshape(image));
  const uint64_t key = mix_key({seed, kEvalMask, static_cast<uint64_t>(index)});
  return {masked_losses(theta, x, {patch_order(key, 0)}).item()};
}

Var Mae::embed(const nn::ParamList& theta, const Tensor& images) const {
  // Every token in patch order, not their mean: which patch holds which stroke is what tells
  // characters apart, and the mean of the tokens forgets where each patch was.
  const Var h = vit_.encode(theta, vit_.tokens(theta, Var(images.to(theta.front().dtype())), false));
  return reshape(h, {h.size(0), -1});
}

}  // namespace cz::learn
