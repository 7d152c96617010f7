// Optimizer updates written with tensor ops, for parameters on devices other than the CPU
// (where the fused loops in SGD.cpp / Adam.cpp run). Internal to optim.
#pragma once

#include <cstdint>

#include "cezanne/tensor/Tensor.hpp"

namespace cz::optim::detail {

/// One SGD update of the contiguous ranges p, g, buf (same shape), in place; formula in SGD.hpp.
void sgd_update(Tensor p, const Tensor& g, Tensor buf, double lr, double momentum,
                double weight_decay, bool nesterov);

/// One Adam/AdamW update of the contiguous ranges p, g, m, v at the parameter's step t (>= 1);
/// formula in Adam.hpp.
void adam_update(Tensor p, const Tensor& g, Tensor m, Tensor v, double lr, double beta1,
                 double beta2, double eps, double weight_decay, bool decoupled, int64_t t);

}  // namespace cz::optim::detail
