// Dropout with counter-based randomness: the mask is a pure function of (seed, counter).
#pragma once

#include <cstdint>

#include "cezanne/autograd/Var.hpp"

namespace cz {

Var dropout(const Var& x, double p, uint64_t seed, uint64_t counter, bool training = true);

}  // namespace cz
