// Parameter groups: which parameters an optimizer updates, and how.
#pragma once

#include <cstddef>
#include <vector>

namespace cz::optim {

/// A set of parameters (indices into Params) sharing optimizer settings.
/// Transfer learning uses them for frozen layers, per-layer learning rates and gradual
/// unfreezing (change `frozen` / `lr_scale` between steps through Optimizer::group()).
struct ParamGroup {
  std::vector<size_t> params;
  /// The group's learning rate is lr() * lr_scale.
  double lr_scale = 1.0;
  /// Frozen parameters are skipped entirely: data and optimizer state unchanged.
  bool frozen = false;
  /// Weight decay of the group; negative: the optimizer's default.
  double weight_decay = -1;
};

}  // namespace cz::optim
