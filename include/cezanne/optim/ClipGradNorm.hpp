// Gradient-norm clipping over a whole parameter set.
#pragma once

#include "cezanne/nn/Params.hpp"

namespace cz::optim {

/// The global L2 norm of flat_grad() (accumulated in double), and, when it exceeds `max_norm`,
/// flat_grad() scaled in place by max_norm / (norm + 1e-6) (PyTorch's clip_grad_norm_).
/// Returns the norm before clipping. A non-finite norm leaves the gradients unchanged (the
/// caller decides, e.g. skips the step). Throws std::invalid_argument when max_norm < 0.
double clip_grad_norm(nn::Params& params, double max_norm);

/// The global L2 norm of flat_grad() (double accumulation), without clipping.
double grad_norm(const nn::Params& params);

}  // namespace cz::optim
