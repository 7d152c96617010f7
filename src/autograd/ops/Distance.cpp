// Distances and similarities, composed of differentiable ops.
#include "cezanne/autograd/ops/Distance.hpp"

#include <limits>

#include "cezanne/autograd/ops/Linalg.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/autograd/ops/Shape.hpp"

namespace cz {

Var pairwise_sq_dist(const Var& a, const Var& b) {
  if (a.dim() < 2 || b.dim() < 2 || a.size(-1) != b.size(-1))
    throw ShapeError("pairwise_sq_dist: expected [..., n, d] and [..., m, d], got " + shape_str(a.shape()) + " and " +
                     shape_str(b.shape()));
  // |a|^2 + |b|^2 - 2 a.b, one GEMM instead of an [n, m, d] difference tensor.
  const Var aa = sum(a * a, {-1}, true);                    // [..., n, 1]
  const Var bb = transpose(sum(b * b, {-1}, true), -1, -2);  // [..., 1, m]
  return aa + bb - 2.0 * matmul(a, transpose(b, -1, -2));
}

Var l2_normalize(const Var& x, int64_t dim, double eps) {
  const Var sq = sum(x * x, {dim}, true);
  return x * pow(clamp(sq, eps * eps, std::numeric_limits<double>::max()), -0.5);
}

Var cosine_similarity(const Var& a, const Var& b, int64_t dim, double eps) {
  return sum(l2_normalize(a, dim, eps) * l2_normalize(b, dim, eps), {dim});
}

}  // namespace cz
