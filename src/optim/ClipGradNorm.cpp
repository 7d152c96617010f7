// Global gradient-norm clipping on the flat gradient buffer, on the gradients' device.
#include "cezanne/optim/ClipGradNorm.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::optim {

double grad_norm(const nn::Params& params) {
  const Tensor g = params.flat_grad();
  if (!g.defined() || g.numel() == 0) return 0.0;
  return std::sqrt(cz::sum(unary(UnaryOp::square, g.to(DType::f64)), {}).item());
}

double clip_grad_norm(nn::Params& params, double max_norm) {
  if (!(max_norm >= 0))
    throw std::invalid_argument("clip_grad_norm: max_norm must be >= 0, got " +
                                std::to_string(max_norm));
  NoGradGuard no_grad;
  const double norm = grad_norm(params);
  if (!std::isfinite(norm) || norm <= max_norm) return norm;
  Tensor g = params.flat_grad();
  g.copy_(affine(g.to(DType::f64), max_norm / (norm + 1e-6), 0.0));
  return norm;
}

}  // namespace cz::optim
