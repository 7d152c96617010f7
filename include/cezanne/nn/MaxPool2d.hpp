// Functional max pooling over the last two dims.
#pragma once

#include "cezanne/autograd/ops/Pooling.hpp"

namespace cz::nn {

/// max_pool2d(x, kernel, stride = kernel, padding = 0) over the last two dims of [..., H, W]
/// (floor of partial windows). The engine's op, brought in by a using-declaration.
using cz::max_pool2d;

}  // namespace cz::nn
