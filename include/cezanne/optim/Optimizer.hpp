// Optimizer: updates a Params' flat buffer in place from its flat gradient.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cezanne/nn/Params.hpp"
#include "cezanne/optim/ParamGroup.hpp"

namespace cz::optim {

/// Works directly on Params::flat() / flat_grad() (each parameter is a contiguous range) under
/// NoGradGuard; its state tensors are flat too, the size of flat(), on the parameters' device.
/// On the CPU an update is one fused loop per parameter, computed in double per element and
/// stored in the parameters' dtype; on other devices the same formula runs as tensor ops.
///
/// Groups: empty means one group of every parameter with lr_scale 1. A parameter may be in at
/// most one group; one in no group is not updated (as if frozen). The Params must outlive the
/// optimizer and keep its layout.
class Optimizer {
 public:
  using State = std::map<std::string, Tensor>;

  /// Throws std::invalid_argument on lr < 0, an index out of range or a parameter in two groups.
  Optimizer(nn::Params& params, double lr, std::vector<ParamGroup> groups);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every non-frozen parameter from flat_grad(); increments step_count().
  virtual void step() = 0;
  virtual const char* name() const = 0;

  /// Zeroes the parameters' gradients (Params::zero_grad()).
  void zero_grad();

  double lr() const { return lr_; }
  /// Base learning rate (a schedule calls this each step: set_lr(schedule.lr_at(step))).
  void set_lr(double lr);
  /// Number of step() calls so far (restored from a checkpoint with set_step_count()).
  int64_t step_count() const { return step_count_; }
  void set_step_count(int64_t steps) { step_count_ = steps; }

  const std::vector<ParamGroup>& groups() const { return groups_; }
  /// Mutable group (lr_scale, frozen, weight_decay; not the parameter list).
  ParamGroup& group(size_t g);
  nn::Params& params() const { return *params_; }

  /// Named state tensors (views of the live state, for checkpoints).
  virtual State state() const = 0;
  /// Copies checkpointed state back: every name of state() must be present with the same
  /// shape. Throws std::invalid_argument naming the missing or mismatched entry.
  void load_state(const State& state);

 protected:
  struct Range {
    size_t param;
    int64_t begin, end;  // element range in flat()
    double lr_scale;
    double weight_decay;  // resolved: the group's, or the optimizer default when negative
  };
  /// Ranges of the parameters to update this step (non-frozen groups), in parameter order.
  std::vector<Range> active_ranges(double default_weight_decay) const;

  nn::Params* params_;
  double lr_;
  int64_t step_count_ = 0;
  std::vector<ParamGroup> groups_;
};

}  // namespace cz::optim
