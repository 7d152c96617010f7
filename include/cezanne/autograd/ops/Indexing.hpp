// Differentiable indexing: gather/scatter_add and index_select/index_add are each other's adjoints.
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz {

Var gather(const Var& x, int64_t dim, const Tensor& index);
Var scatter_add(const Shape& shape, int64_t dim, const Tensor& index, const Var& src);
Var index_select(const Var& x, int64_t dim, const Tensor& index);
Var index_add(const Shape& shape, int64_t dim, const Tensor& index, const Var& src);
/// Rows of `weight` [V, D] for i64 ids of any shape -> [..., D].
Var embedding(const Var& weight, const Tensor& ids);

}  // namespace cz
