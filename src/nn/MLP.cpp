// MLP: linear layers with an activation between them, functional over an explicit ParamList.
#include "cezanne/nn/MLP.hpp"

#include <stdexcept>
#include <string>

#include "cezanne/nn/Linear.hpp"

namespace cz::nn {

MLP::MLP(std::vector<int64_t> sizes, Activation activation)
    : sizes_(std::move(sizes)), activation_(activation) {
  if (sizes_.size() < 2)
    throw std::invalid_argument("MLP: sizes needs at least 2 entries (input, output), got " +
                                std::to_string(sizes_.size()));
  for (int64_t s : sizes_)
    if (s < 1)
      throw std::invalid_argument("MLP: every size must be >= 1, got " + shape_str(sizes_));
}

std::vector<ParamSpec> MLP::specs() const {
  std::vector<ParamSpec> specs;
  const double hidden_gain = activation_ == Activation::relu ? 0.0 /* √2 */ : 1.0;
  const size_t hidden = sizes_.size() - 2;
  for (size_t l = 0; l < hidden; ++l) {
    auto layer = linear_specs("layer" + std::to_string(l), sizes_[l], sizes_[l + 1], true,
                              {Init::kaiming_uniform, hidden_gain});
    specs.insert(specs.end(), layer.begin(), layer.end());
  }
  auto head =
      linear_specs("head", sizes_[hidden], sizes_.back(), true, {Init::kaiming_uniform, 1.0});
  specs.insert(specs.end(), head.begin(), head.end());
  return specs;
}

Var MLP::run(const ParamList& p, const Var& x, bool task_axis, bool head) const {
  check_params("MLP", p, task_axis);
  const size_t hidden = sizes_.size() - 2;
  Var y = x;
  for (size_t l = 0; l < hidden; ++l) y = activate(linear(y, p[2 * l], p[2 * l + 1]), activation_);
  if (head) y = linear(y, p[2 * hidden], p[2 * hidden + 1]);
  return y;
}

Var MLP::forward(const ParamList& p, const Var& x) const { return run(p, x, false, true); }
Var MLP::embed(const ParamList& p, const Var& x) const { return run(p, x, false, false); }
Var MLP::forward_tasks(const ParamList& p, const Var& x) const { return run(p, x, true, true); }
Var MLP::embed_tasks(const ParamList& p, const Var& x) const { return run(p, x, true, false); }

}  // namespace cz::nn
