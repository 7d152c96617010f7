// Default dropout mask: the uniform stream compared with p, the CPU kernel's numbers exactly.
#include "cezanne/backend/Backend.hpp"

namespace cz {

void Backend::dropout_mask(double p, uint64_t seed, uint64_t counter, Tensor& out) {
  Tensor u = Tensor::empty(out.shape(), DType::f64, out.device());
  random(false, 0.0, 1.0, seed, counter, u);  // 0 + 1 * u: the 53-bit uniform itself
  const Tensor threshold = Tensor::full({}, p, DType::f64, out.device()).expand(u.shape());
  binary(BinaryOp::ge, u, threshold, u);
  const Tensor keep_scale =
      Tensor::full({}, 1.0 / (1.0 - p), DType::f64, out.device()).expand(u.shape());
  binary(BinaryOp::mul, u, keep_scale, u);
  copy(u, out);
}

}  // namespace cz
