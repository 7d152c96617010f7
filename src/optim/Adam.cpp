// Adam / AdamW on the flat parameter buffer, with per-parameter step counts for bias correction.
#include "cezanne/optim/Adam.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "TensorUpdate.hpp"
#include "cezanne/autograd/GradMode.hpp"

namespace cz::optim {

namespace {

struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;
  int64_t t;
};

template <class T>
void adam_range(T* p, const T* g, T* m, T* v, int64_t n, const AdamStep& s) {
  const double bias1 = 1.0 - std::pow(s.beta1, static_cast<double>(s.t));
  const double bias2 = 1.0 - std::pow(s.beta2, static_cast<double>(s.t));
  const double step_size = s.lr / bias1;
  const double inv_sqrt_bias2 = 1.0 / std::sqrt(bias2);
  const double decay = s.decoupled ? 1.0 - s.lr * s.weight_decay : 1.0;
  const double coupled_wd = s.decoupled ? 0.0 : s.weight_decay;
  for (int64_t k = 0; k < n; ++k) {
    double pk = static_cast<double>(p[k]);
    const double gk = static_cast<double>(g[k]) + coupled_wd * pk;
    pk *= decay;
    const double mk = s.beta1 * static_cast<double>(m[k]) + (1.0 - s.beta1) * gk;
    const double vk = s.beta2 * static_cast<double>(v[k]) + (1.0 - s.beta2) * gk * gk;
    m[k] = static_cast<T>(mk);
    v[k] = static_cast<T>(vk);
    p[k] = static_cast<T>(pk - step_size * mk / (std::sqrt(vk) * inv_sqrt_bias2 + s.eps));
  }
}

}  // namespace

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
    const int64_t n = r.end - r.begin;
    const AdamStep s{lr_ * r.lr_scale, beta1_,     beta2_,          eps_,
                     r.weight_decay,   decoupled_, ++steps[r.param]};
    if (!flat.device().is_cpu())
      detail::adam_update(flat.slice(0, r.begin, r.end), grad.slice(0, r.begin, r.end),
                          exp_avg_.slice(0, r.begin, r.end), exp_avg_sq_.slice(0, r.begin, r.end),
                          s.lr, beta1_, beta2_, eps_, r.weight_decay, decoupled_, s.t);
    else if (flat.dtype() == DType::f32)
      adam_range(flat.data<float>() + r.begin, grad.data<float>() + r.begin,
                 exp_avg_.data<float>() + r.begin, exp_avg_sq_.data<float>() + r.begin, n, s);
    else
      adam_range(flat.data<double>() + r.begin, grad.data<double>() + r.begin,
                 exp_avg_.data<double>() + r.begin, exp_avg_sq_.data<double>() + r.begin, n, s);
  }
  ++step_count_;
}

Optimizer::State Adam::state() const {
  return {{"exp_avg", exp_avg_}, {"exp_avg_sq", exp_avg_sq_}, {"step", param_steps_}};
}

}  // namespace cz::optim
