// Vit: patches -> tokens with positions -> pre-norm transformer -> mean token -> head.
#include "cezanne/nn/Vit.hpp"

#include <stdexcept>
#include <string>

#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/nn/Linear.hpp"

namespace cz::nn {

Var patchify(const Var& images, int64_t patch) {
  const Shape& s = images.shape();
  if (s.size() < 3 || patch < 1 || s[s.size() - 2] % patch != 0 || s.back() % patch != 0)
    throw ShapeError("patchify: images " + shape_str(s) + " are not [..., C, H, W] with H and W multiples of " +
                     std::to_string(patch));
  const int64_t c = s[s.size() - 3], gh = s[s.size() - 2] / patch, gw = s.back() / patch;
  const Var grid = reshape(images, {-1, c, gh, patch, gw, patch});
  Shape out(s.begin(), s.end() - 3);
  out.push_back(gh * gw);
  out.push_back(c * patch * patch);
  return reshape(permute(grid, {0, 2, 4, 1, 3, 5}), out);  // [B, gh, gw, C, p, p]
}

Vit::Vit(VitSpec spec, int64_t ways) : spec_(spec), ways_(ways) {
  check_transformer(spec.transformer, "");
  if (spec.channels < 1 || ways < 1)
    throw std::invalid_argument("Vit: channels and ways must be >= 1, got " + std::to_string(spec.channels) + ", " +
                                std::to_string(ways));
  if (spec.patch < 1 || spec.image % spec.patch != 0)
    throw std::invalid_argument("--patch: " + std::to_string(spec.patch) + " does not divide the image side " +
                                std::to_string(spec.image));
}

int64_t Vit::patches() const { return (spec_.image / spec_.patch) * (spec_.image / spec_.patch); }

std::vector<ParamSpec> Vit::body_specs() const {
  const int64_t d = spec_.transformer.dim;
  std::vector<ParamSpec> specs =
      linear_specs("patch", spec_.channels * spec_.patch * spec_.patch, d, true, {Init::xavier_uniform});
  specs.push_back({"pos", {patches(), d}, {Init::normal, 0.0, 0.02}});
  for (const ParamSpec& p : transformer_specs("", spec_.transformer)) specs.push_back(p);
  specs.push_back({"norm.gamma", {d}, {Init::ones}});
  specs.push_back({"norm.beta", {d}, {Init::zeros}});
  return specs;
}

std::vector<ParamSpec> Vit::specs() const {
  std::vector<ParamSpec> specs = body_specs();
  for (const ParamSpec& p : linear_specs("head", spec_.transformer.dim, ways_, true, {Init::xavier_uniform}))
    specs.push_back(p);
  return specs;
}

Var Vit::tokens(const ParamList& p, const Var& images, bool task_axis) const {
  const Shape& s = images.shape();
  const size_t rank = task_axis ? 5 : 4, c = rank - 3;
  if (s.size() != rank || s[c] != spec_.channels || s[c + 1] != spec_.image || s[c + 2] != spec_.image ||
      (task_axis && s[0] != p[0].size(0)))
    throw ShapeError("Vit::" + std::string(task_axis ? "forward_tasks" : "forward") + ": x " + shape_str(s) +
                     " must be [" + (task_axis ? std::to_string(p[0].size(0)) + ", " : std::string()) + "N, " +
                     std::to_string(spec_.channels) + ", " + std::to_string(spec_.image) + ", " +
                     std::to_string(spec_.image) + "]");
  const Var embedded = linear(patchify(images, spec_.patch), p[0], p[1]);  // [(T,) N, P, D]
  return embedded + (task_axis ? unsqueeze(p[2], 1) : p[2]);
}

Var Vit::encode(const ParamList& p, const Var& tokens) const {
  const size_t norm = head_begin() - 2;
  return nn::layer_norm(transformer(p, 3, spec_.transformer, tokens), p[norm], p[norm + 1]);
}

Var Vit::features(const ParamList& p, const Var& x, bool task_axis) const {
  check_params("Vit", p, task_axis);
  const Var h = encode(p, tokens(p, x, task_axis));
  return mean(h, {h.dim() - 2});  // the mean token: [(T,) N, D]
}

Var Vit::embed(const ParamList& p, const Var& x) const { return features(p, x, false); }
Var Vit::embed_tasks(const ParamList& p, const Var& x) const { return features(p, x, true); }

Var Vit::forward(const ParamList& p, const Var& x) const {
  return linear(features(p, x, false), p[head_begin()], p[head_begin() + 1]);
}

Var Vit::forward_tasks(const ParamList& p, const Var& x) const {
  return linear(features(p, x, true), p[head_begin()], p[head_begin() + 1]);
}

}  // namespace cz::nn
