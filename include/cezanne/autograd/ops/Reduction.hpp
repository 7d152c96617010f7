// Differentiable reductions.
#pragma once

#include <vector>

#include "cezanne/autograd/Var.hpp"

namespace cz {

/// Sum of all elements (0-d).
Var sum(const Var& x);
Var sum(const Var& x, const std::vector<int64_t>& dims, bool keepdim = false);
Var mean(const Var& x);
Var mean(const Var& x, const std::vector<int64_t>& dims, bool keepdim = false);
/// Maximum over `dim` (the gradient goes to the first maximal element).
Var max(const Var& x, int64_t dim, bool keepdim = false);
Var logsumexp(const Var& x, int64_t dim, bool keepdim = false);
/// Sums a broadcast value back to `shape` (the adjoint of expand).
Var sum_to(const Var& x, const Shape& shape);

}  // namespace cz
