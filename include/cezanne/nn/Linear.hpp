// Functional linear layer, with an optional leading task axis.
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz::nn {

/// y = x @ weight^T + bias.
///  weight [out, in], x [..., in], bias [out] or undefined -> [..., out];
///  task axis (weight.dim() == 3): weight [T, out, in], x [T, ..., in], bias [T, out]
///  -> [T, ..., out], one batched GEMM for all tasks.
/// Throws ShapeError naming the shapes when they do not fit.
Var linear(const Var& x, const Var& weight, const Var& bias = Var());

}  // namespace cz::nn
