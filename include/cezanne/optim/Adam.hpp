// Adam and AdamW (PyTorch's formulas, bias correction included).
#pragma once

#include <utility>

#include "cezanne/optim/Optimizer.hpp"

namespace cz::optim {

/// Per element of a parameter updated for the t-th time (t counts that parameter's own updates,
/// so a parameter unfrozen later starts its bias correction at t = 1), lr_g = lr * lr_scale:
///   Adam  (decoupled = false): g = grad + wd * p
///   AdamW (decoupled = true):  g = grad,  p = p * (1 - lr_g * wd)
///   m = beta1 * m + (1 - beta1) * g
///   v = beta2 * v + (1 - beta2) * g^2
///   p = p - (lr_g / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// State: "exp_avg" (m), "exp_avg_sq" (v), both flat, and "step" (i64 [size()], t per parameter).
class Adam : public Optimizer {
 public:
  /// Throws std::invalid_argument on betas outside [0, 1), eps < 0 or weight_decay < 0.
  Adam(nn::Params& params, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
       double weight_decay = 0.0, bool decoupled = false, std::vector<ParamGroup> groups = {});

  void step() override;
  const char* name() const override { return decoupled_ ? "AdamW" : "Adam"; }
  State state() const override;

  double beta1() const { return beta1_; }
  double beta2() const { return beta2_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  bool decoupled() const { return decoupled_; }

 private:
  double beta1_, beta2_, eps_, weight_decay_;
  bool decoupled_;
  Tensor exp_avg_, exp_avg_sq_, param_steps_;
};

/// AdamW: Adam with decoupled weight decay (default 0.01, as in PyTorch).
class AdamW final : public Adam {
 public:
  AdamW(nn::Params& params, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0.01, std::vector<ParamGroup> groups = {})
      : Adam(params, lr, beta1, beta2, eps, weight_decay, /*decoupled=*/true, std::move(groups)) {}
};

}  // namespace cz::optim
