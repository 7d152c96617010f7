// Differentiable pooling over the last two dims of [..., C, H, W].
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz {

Var max_pool2d(const Var& x, int64_t kernel, int64_t stride = 0, int64_t padding = 0);
Var avg_pool2d(const Var& x, int64_t kernel, int64_t stride = 0);

}  // namespace cz
