// SGD with momentum, weight decay and Nesterov on the flat parameter buffer.
#include "cezanne/optim/SGD.hpp"

#include <stdexcept>
#include <string>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::optim {

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
    Tensor p = flat.slice(0, r.begin, r.end), buffer = momentum_buffer_.slice(0, r.begin, r.end);
    sgd_update_({lr_ * r.lr_scale, momentum_, r.weight_decay, nesterov_}, p, grad.slice(0, r.begin, r.end), buffer);
  }
  ++step_count_;
}

Optimizer::State SGD::state() const { return {{"momentum", momentum_buffer_}}; }

}  // namespace cz::optim
