// Differentiable matrix products (BLAS).
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz {

/// [..., m, k] @ [..., k, n] with broadcast batch dims (batched GEMM); 1-d operands as NumPy.
Var matmul(const Var& a, const Var& b);

}  // namespace cz
