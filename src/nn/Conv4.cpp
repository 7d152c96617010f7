// Conv4: four conv blocks and a linear head, with one batched op per layer on the task axis.
#include "cezanne/nn/Conv4.hpp"

#include <stdexcept>
#include <string>

#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/nn/Conv2d.hpp"
#include "cezanne/nn/Linear.hpp"

namespace cz::nn {

Conv4::Conv4(int64_t filters, int64_t channels, int64_t image, int64_t ways)
    : filters_(filters), channels_(channels), image_(image), ways_(ways) {
  if (filters < 1 || channels < 1 || ways < 1)
    throw std::invalid_argument("Conv4: filters, channels and ways must be >= 1, got " +
                                std::to_string(filters) + ", " + std::to_string(channels) + ", " +
                                std::to_string(ways));
  if (image < 16)
    throw std::invalid_argument("Conv4: image " + std::to_string(image) + " is too small for " +
                                std::to_string(kBlocks) + " pooling layers (needs >= 16)");
}

int64_t Conv4::final_side() const {
  int64_t side = image_;
  for (int b = 0; b < kBlocks; ++b)
    side /= 2;  // 3x3 conv with padding 1 keeps the side; the pool floors
  return side;
}

int64_t Conv4::feature_size() const { return filters_ * final_side() * final_side(); }

std::vector<ParamSpec> Conv4::specs() const {
  std::vector<ParamSpec> specs;
  for (int b = 0; b < kBlocks; ++b) {
    const std::string prefix = "block" + std::to_string(b);
    const int64_t in = b == 0 ? channels_ : filters_;
    specs.push_back({prefix + ".conv.weight", {filters_, in, 3, 3}, {Init::xavier_uniform}});
    specs.push_back({prefix + ".conv.bias", {filters_}, {Init::zeros}});
    specs.push_back({prefix + ".bn.gamma", {filters_}, {Init::ones}});
    specs.push_back({prefix + ".bn.beta", {filters_}, {Init::zeros}});
  }
  specs.push_back({"head.weight", {ways_, feature_size()}, {Init::xavier_uniform}});
  specs.push_back({"head.bias", {ways_}, {Init::zeros}});
  return specs;
}

Var Conv4::features(const ParamList& p, const Var& x, bool task_axis) const {
  check_params("Conv4", p, task_axis);
  const Shape& s = x.shape();
  const size_t rank = task_axis ? 5 : 4;
  const size_t c = rank - 3;
  if (s.size() != rank || s[c] != channels_ || s[c + 1] != image_ || s[c + 2] != image_ ||
      (task_axis && s[0] != p[0].size(0)))
    throw ShapeError("Conv4::" + std::string(task_axis ? "forward_tasks" : "forward") + ": x " +
                     shape_str(s) + " must be [" +
                     (task_axis ? std::to_string(p[0].size(0)) + ", " : std::string()) + "N, " +
                     std::to_string(channels_) + ", " + std::to_string(image_) + ", " +
                     std::to_string(image_) + "]");
  Var y = x;
  for (int b = 0; b < kBlocks; ++b)
    y = conv_block(y, p[4 * b], p[4 * b + 1], p[4 * b + 2], p[4 * b + 3], task_axis);
  return cz::flatten(y, task_axis ? 2 : 1);  // [N, F*s*s] or [T, N, F*s*s]
}

Var Conv4::embed(const ParamList& p, const Var& x) const { return features(p, x, false); }
Var Conv4::embed_tasks(const ParamList& p, const Var& x) const { return features(p, x, true); }

Var Conv4::forward(const ParamList& p, const Var& x) const {
  return linear(features(p, x, false), p[head_begin()], p[head_begin() + 1]);
}

Var Conv4::forward_tasks(const ParamList& p, const Var& x) const {
  return linear(features(p, x, true), p[head_begin()], p[head_begin() + 1]);
}

}  // namespace cz::nn
