// Differentiable views and joins.
#pragma once

#include <vector>

#include "cezanne/autograd/Var.hpp"

namespace cz {

Var reshape(const Var& x, const Shape& shape);
Var flatten(const Var& x, int64_t start_dim = 0, int64_t end_dim = -1);
Var permute(const Var& x, const std::vector<int64_t>& order);
Var transpose(const Var& x, int64_t a, int64_t b);
Var slice(const Var& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
Var select(const Var& x, int64_t dim, int64_t index);
Var expand(const Var& x, const Shape& shape);
Var unsqueeze(const Var& x, int64_t dim);
Var squeeze(const Var& x, int64_t dim);
Var contiguous(const Var& x);
Var cat(const std::vector<Var>& xs, int64_t dim);
Var stack(const std::vector<Var>& xs, int64_t dim);

}  // namespace cz
