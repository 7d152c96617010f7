// Stochastic gradient descent with momentum, weight decay and Nesterov (PyTorch's formulas).
#pragma once

#include "cezanne/optim/Optimizer.hpp"

namespace cz::optim {

/// Per element, with lr_g = lr * lr_scale and wd the group's weight decay:
///   g  = grad + wd * p
///   b  = momentum * b + g                    (momentum != 0; b starts at 0, so b_1 = g_1)
///   d  = nesterov ? g + momentum * b : b     (d = g when momentum == 0)
///   p -= lr_g * d
/// State: "momentum" (flat, zero-initialized).
class SGD final : public Optimizer {
 public:
  /// Throws std::invalid_argument on momentum < 0, weight_decay < 0, or nesterov without momentum.
  SGD(nn::Params& params, double lr, double momentum = 0.0, double weight_decay = 0.0,
      bool nesterov = false, std::vector<ParamGroup> groups = {});

  void step() override;
  const char* name() const override { return "SGD"; }
  State state() const override;

  double momentum() const { return momentum_; }
  double weight_decay() const { return weight_decay_; }
  bool nesterov() const { return nesterov_; }

 private:
  double momentum_, weight_decay_;
  bool nesterov_;
  Tensor momentum_buffer_;
};

}  // namespace cz::optim
