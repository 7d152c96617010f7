// Optimizer base: parameter groups, learning rate, step count and checkpointable state.
#include "cezanne/optim/Optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace cz::optim {

Optimizer::Optimizer(nn::Params& params, double lr, std::vector<ParamGroup> groups)
    : params_(&params), lr_(lr), groups_(std::move(groups)) {
  set_lr(lr);
  if (groups_.empty()) {
    ParamGroup all;
    for (size_t i = 0; i < params.size(); ++i) all.params.push_back(i);
    groups_.push_back(std::move(all));
  }
  std::vector<int64_t> owner(params.size(), -1);
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (!(groups_[g].lr_scale >= 0))
      throw std::invalid_argument("Optimizer: group " + std::to_string(g) + " has lr_scale " +
                                  std::to_string(groups_[g].lr_scale));
    for (size_t i : groups_[g].params) {
      if (i >= params.size())
        throw std::invalid_argument("Optimizer: group " + std::to_string(g) + " names parameter " +
                                    std::to_string(i) + ", but there are " +
                                    std::to_string(params.size()));
      if (owner[i] >= 0)
        throw std::invalid_argument("Optimizer: parameter '" + params.name(i) + "' is in groups " +
                                    std::to_string(owner[i]) + " and " + std::to_string(g));
      owner[i] = static_cast<int64_t>(g);
    }
  }
}

void Optimizer::zero_grad() { params_->zero_grad(); }

void Optimizer::set_lr(double lr) {
  if (!(lr >= 0) || !std::isfinite(lr))
    throw std::invalid_argument("Optimizer: learning rate must be finite and >= 0, got " +
                                std::to_string(lr));
  lr_ = lr;
}

ParamGroup& Optimizer::group(size_t g) {
  if (g >= groups_.size())
    throw std::out_of_range("Optimizer: group " + std::to_string(g) + " out of range (" +
                            std::to_string(groups_.size()) + " groups)");
  return groups_[g];
}

std::vector<Optimizer::Range> Optimizer::active_ranges(double default_weight_decay) const {
  std::vector<Range> ranges;
  for (const ParamGroup& g : groups_) {
    if (g.frozen) continue;
    const double wd = g.weight_decay < 0 ? default_weight_decay : g.weight_decay;
    for (size_t i : g.params) {
      const int64_t begin = params_->offset(i);
      ranges.push_back({i, begin, begin + params_->numel(i), g.lr_scale, wd});
    }
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.param < b.param; });
  return ranges;
}

void Optimizer::load_state(const State& state) {
  State live = this->state();
  for (auto& [name, tensor] : live) {
    auto it = state.find(name);
    if (it == state.end())
      throw std::invalid_argument(std::string(this->name()) + "::load_state: missing '" + name +
                                  "'");
    if (it->second.shape() != tensor.shape())
      throw std::invalid_argument(std::string(this->name()) + "::load_state: '" + name +
                                  "' has shape " + shape_str(it->second.shape()) + ", expected " +
                                  shape_str(tensor.shape()));
    Tensor src = it->second;
    if (src.device() != tensor.device()) src = src.to(tensor.device());
    tensor.copy_(src);
  }
}

}  // namespace cz::optim
