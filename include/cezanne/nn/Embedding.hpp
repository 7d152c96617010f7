// Functional embedding lookup.
#pragma once

#include "cezanne/autograd/ops/Indexing.hpp"

namespace cz::nn {

/// embedding(weight [V, D], ids i64 [...]) -> [..., D]; the gradient scatters into the rows
/// used. The engine's op, brought in by a using-declaration.
using cz::embedding;

}  // namespace cz::nn
