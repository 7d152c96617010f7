// Dropout: multiply by a constant, counter-based keep mask.
#include "cezanne/autograd/ops/Dropout.hpp"

#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

Var dropout(const Var& x, double p, uint64_t seed, uint64_t counter, bool training) {
  if (!training || p == 0.0) return x;
  return x * Var(dropout_mask(x.shape(), p, seed, counter, x.dtype(), x.device()));
}

}  // namespace cz
