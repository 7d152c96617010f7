// Recipe: which parameters train at each step, and at what rate (notes: "Transfer learning").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cezanne/optim/ParamGroup.hpp"
#include "cezanne/train/TrainConfig.hpp"

namespace cz::train {

/// A fine-tuning recipe over a model's parameters, from the options of a run:
///   --freeze P       parameters matching P never train;
///   --trainable P    only parameters matching P train (the notes: first or middle layers alone
///                    are sometimes better);
///   --lr-scale R     per-parameter scales of the learning rate (optim::lr_scales);
///   --lr-decay d     discriminative rates: a parameter of depth k trains at scale x d^k;
///   --unfreeze-every N  gradual unfreezing: layers of depth < 1 + step / N train;
///   --head-first     only the top layer (depth 0) trains until the trainer ends that phase
///                    (validation stopped improving), then every parameter the rules allow.
/// A layer is the part of a parameter's name before its first '.' ("block2", "head"); layers are
/// numbered in the order the model lists its parameters (input to output), and a parameter's
/// depth is how many layers lie above its own: the head 0, Conv4's block3 1, ..., block0 4.
/// Linear probe = --freeze 'block*' (or --trainable 'head.*'); full fine-tuning with a smaller
/// body rate = --lr-scale 'block*=0.1'.
class Recipe {
 public:
  /// Throws std::invalid_argument with one line naming the option (a pattern matching nothing,
  /// a bad scale, a recipe that leaves nothing to train).
  Recipe(const std::vector<std::string>& names, const TrainConfig& config);

  /// One group per parameter, in order, with its learning-rate scale, frozen as at step 0.
  std::vector<optim::ParamGroup> groups() const;
  /// Per parameter: frozen during 0-based step `step` when the head-first phase ended before
  /// step `head_phase_end` (-1: it has not ended).
  std::vector<bool> frozen_at(int64_t step, int64_t head_phase_end) const;
  /// Whether frozen_at changes during a run (gradual unfreezing or head first).
  bool scheduled() const { return unfreeze_every_ > 0 || head_first_; }

  int64_t depth(size_t param) const { return depth_.at(param); }
  int64_t layers() const { return layers_; }
  double lr_scale(size_t param) const { return scale_.at(param); }

 private:
  std::vector<bool> frozen_;    // by --freeze / --trainable: never trains
  std::vector<double> scale_;   // --lr-scale x --lr-decay^depth
  std::vector<int64_t> depth_;  // layers above the parameter's own
  int64_t layers_ = 0;
  int64_t unfreeze_every_ = 0;
  bool head_first_ = false;
};

}  // namespace cz::train
