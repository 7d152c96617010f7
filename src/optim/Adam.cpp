// Adam / AdamW on the flat parameter buffer, with per-parameter step counts for bias correction.
#include "cezanne/optim/Adam.hpp"

#include <stdexcept>
#include <string>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::optim {

Adam::Adam(nn::Params& params, double lr, double beta1, double beta2, double eps,
           double weight_decay, bool decoupled, std::vector<ParamGroup> groups)
    : Optimizer(params, lr, std::move(groups)),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay),
      decoupled_(decoupled) {
  const char* who = decoupled ? "AdamW" : "Adam";
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
    throw std::invalid_argument(std::string(who) + ": betas must be in [0, 1), got " +
                                std::to_string(beta1) + ", " + std::to_string(beta2));
  if (!(eps >= 0))
    throw std::invalid_argument(std::string(who) + ": eps must be >= 0, got " +
                                std::to_string(eps));
  if (!(weight_decay >= 0))
    throw std::invalid_argument(std::string(who) + ": weight_decay must be >= 0, got " +
                                std::to_string(weight_decay));
  exp_avg_ = Tensor::zeros({params.numel()}, params.dtype(), params.device());
  exp_avg_sq_ = Tensor::zeros({params.numel()}, params.dtype(), params.device());
  param_steps_ = Tensor::zeros({static_cast<int64_t>(params.size())}, DType::i64);
}

void Adam::step() {
  NoGradGuard no_grad;
  const Tensor flat = params_->flat();
  const Tensor grad = params_->flat_grad();
  int64_t* steps = param_steps_.data<int64_t>();
  for (const Range& r : active_ranges(weight_decay_)) {
    const AdamStep s{lr_ * r.lr_scale, beta1_, beta2_, eps_, r.weight_decay, decoupled_, ++steps[r.param]};
    Tensor p = flat.slice(0, r.begin, r.end), m = exp_avg_.slice(0, r.begin, r.end),
           v = exp_avg_sq_.slice(0, r.begin, r.end);
    adam_update_(s, p, grad.slice(0, r.begin, r.end), m, v);
  }
  ++step_count_;
}

Optimizer::State Adam::state() const {
  return {{"exp_avg", exp_avg_}, {"exp_avg_sq", exp_avg_sq_}, {"step", param_steps_}};
}

}  // namespace cz::optim
