// Global gradient-norm clipping on the flat gradient buffer.
#include "cezanne/optim/ClipGradNorm.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::optim {

namespace {

template <class T>
double sum_squares(const T* g, int64_t n) {
  double s = 0;
  for (int64_t k = 0; k < n; ++k) s += static_cast<double>(g[k]) * static_cast<double>(g[k]);
  return s;
}

template <class T>
void scale(T* g, int64_t n, double factor) {
  for (int64_t k = 0; k < n; ++k) g[k] = static_cast<T>(static_cast<double>(g[k]) * factor);
}

}  // namespace

double grad_norm(const nn::Params& params) {
  const Tensor g = params.flat_grad();
  if (!g.defined() || g.numel() == 0) return 0.0;
  if (!g.device().is_cpu())
    return std::sqrt(
        cz::sum(unary(UnaryOp::square, g.to(DType::f64)), {}).to(Device::cpu()).item());
  const double s = g.dtype() == DType::f32 ? sum_squares(g.data<float>(), g.numel())
                                           : sum_squares(g.data<double>(), g.numel());
  return std::sqrt(s);
}

double clip_grad_norm(nn::Params& params, double max_norm) {
  if (!(max_norm >= 0))
    throw std::invalid_argument("clip_grad_norm: max_norm must be >= 0, got " +
                                std::to_string(max_norm));
  NoGradGuard no_grad;
  const double norm = grad_norm(params);
  if (!std::isfinite(norm) || norm <= max_norm) return norm;
  const double factor = max_norm / (norm + 1e-6);
  Tensor g = params.flat_grad();
  if (!g.device().is_cpu())
    g.copy_(affine(g, factor, 0.0));
  else if (g.dtype() == DType::f32)
    scale(g.data<float>(), g.numel(), factor);
  else
    scale(g.data<double>(), g.numel(), factor);
  return norm;
}

}  // namespace cz::optim
