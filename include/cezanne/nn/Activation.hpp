// Element-wise activations selectable at model construction.
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz::nn {

enum class Activation : uint8_t { relu, tanh, sigmoid, identity };

/// Applies `activation` (differentiable).
Var activate(const Var& x, Activation activation);
const char* activation_name(Activation activation);

}  // namespace cz::nn
