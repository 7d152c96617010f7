// SGD with momentum, weight decay and Nesterov on the flat parameter buffer.
#include "cezanne/optim/SGD.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "TensorUpdate.hpp"
#include "cezanne/autograd/GradMode.hpp"

namespace cz::optim {

namespace {

template <class T>
void sgd_range(T* p, const T* g, T* buf, int64_t n, double lr, double momentum, double wd,
               bool nesterov) {
  for (int64_t k = 0; k < n; ++k) {
    double d = static_cast<double>(g[k]) + wd * static_cast<double>(p[k]);
    if (momentum != 0) {
      const double b = momentum * static_cast<double>(buf[k]) + d;
      buf[k] = static_cast<T>(b);
      d = nesterov ? d + momentum * b : b;
    }
    p[k] = static_cast<T>(static_cast<double>(p[k]) - lr * d);
  }
}

}  // namespace

SGD::SGD(nn::Params& params, double lr, double momentum, double weight_decay, bool nesterov,
         std::vector<ParamGroup> groups)
    : Optimizer(params, lr, std::move(groups)),
      momentum_(momentum),
      weight_decay_(weight_decay),
      nesterov_(nesterov) {
  if (!(momentum >= 0))
    throw std::invalid_argument("SGD: momentum must be >= 0, got " + std::to_string(momentum));
  if (!(weight_decay >= 0))
    throw std::invalid_argument("SGD: weight_decay must be >= 0, got " +
                                std::to_string(weight_decay));
  if (nesterov && momentum == 0) throw std::invalid_argument("SGD: nesterov needs momentum > 0");
  momentum_buffer_ = Tensor::zeros({params.numel()}, params.dtype(), params.device());
}

void SGD::step() {
  NoGradGuard no_grad;
  const Tensor flat = params_->flat();
  const Tensor grad = params_->flat_grad();
  for (const Range& r : active_ranges(weight_decay_)) {
    const int64_t n = r.end - r.begin;
    const double lr = lr_ * r.lr_scale;
    if (!flat.device().is_cpu())
      detail::sgd_update(flat.slice(0, r.begin, r.end), grad.slice(0, r.begin, r.end),
                         momentum_buffer_.slice(0, r.begin, r.end), lr, momentum_, r.weight_decay,
                         nesterov_);
    else if (flat.dtype() == DType::f32)
      sgd_range(flat.data<float>() + r.begin, grad.data<float>() + r.begin,
                momentum_buffer_.data<float>() + r.begin, n, lr, momentum_, r.weight_decay,
                nesterov_);
    else
      sgd_range(flat.data<double>() + r.begin, grad.data<double>() + r.begin,
                momentum_buffer_.data<double>() + r.begin, n, lr, momentum_, r.weight_decay,
                nesterov_);
  }
  ++step_count_;
}

Optimizer::State SGD::state() const { return {{"momentum", momentum_buffer_}}; }

}  // namespace cz::optim
