// Fine-tuning recipes: frozen sets, per-layer rates and the schedules of unfreezing.
#include "cezanne/train/Recipe.hpp"

#include <cmath>
#include <map>
#include <stdexcept>

#include "cezanne/optim/GroupRules.hpp"

namespace cz::train {

Recipe::Recipe(const std::vector<std::string>& names, const TrainConfig& c)
    : unfreeze_every_(c.unfreeze_every), head_first_(c.head_first) {
  frozen_ = optim::match_names("--freeze", names, c.freeze);
  if (!c.trainable.empty()) {
    const std::vector<bool> trainable = optim::match_names("--trainable", names, c.trainable);
    for (size_t i = 0; i < names.size(); ++i) frozen_[i] = frozen_[i] || !trainable[i];
  }
  std::map<std::string, int64_t> layer_of;
  std::vector<int64_t> layer(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string prefix = names[i].substr(0, names[i].find('.'));
    layer[i] = layer_of.emplace(prefix, static_cast<int64_t>(layer_of.size())).first->second;
  }
  layers_ = static_cast<int64_t>(layer_of.size());
  scale_ = optim::lr_scales(names, c.lr_scale);
  for (size_t i = 0; i < names.size(); ++i) {
    depth_.push_back(layers_ - 1 - layer[i]);
    scale_[i] *= std::pow(c.lr_decay, static_cast<double>(depth_[i]));
  }
  bool any = false;
  for (const bool f : frozen_) any = any || !f;
  if (!any) throw std::invalid_argument("--freeze/--trainable: every parameter is frozen; nothing to train");
  if (scheduled()) {
    bool top = false;
    for (size_t i = 0; i < names.size(); ++i) top = top || (depth_[i] == 0 && !frozen_[i]);
    if (!top)
      throw std::invalid_argument(std::string(head_first_ ? "--head-first" : "--unfreeze-every") +
                                  ": the top layer, which trains first, is frozen by --freeze/--trainable");
  }
}

std::vector<optim::ParamGroup> Recipe::groups() const {
  const std::vector<bool> frozen = frozen_at(0, -1);
  std::vector<optim::ParamGroup> groups(frozen.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    groups[i].params = {i};
    groups[i].lr_scale = scale_[i];
    groups[i].frozen = frozen[i];
  }
  return groups;
}

std::vector<bool> Recipe::frozen_at(int64_t step, int64_t head_phase_end) const {
  // Layers of depth below `open` train (the rules permitting).
  int64_t open = layers_;
  if (unfreeze_every_ > 0) open = 1 + step / unfreeze_every_;
  if (head_first_ && (head_phase_end < 0 || step < head_phase_end)) open = 1;
  std::vector<bool> frozen = frozen_;
  for (size_t i = 0; i < frozen.size(); ++i) frozen[i] = frozen[i] || depth_[i] >= open;
  return frozen;
}

}  // namespace cz::train
