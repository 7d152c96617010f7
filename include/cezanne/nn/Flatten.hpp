// Functional flatten.
#pragma once

#include "cezanne/autograd/ops/Shape.hpp"

namespace cz::nn {

/// flatten(x, start_dim, end_dim = -1): [N, C, H, W] -> [N, C*H*W] with start_dim 1 (2 with a
/// task axis). The engine's op, brought in by a using-declaration.
using cz::flatten;

}  // namespace cz::nn
