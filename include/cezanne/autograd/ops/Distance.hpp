// Differentiable distances and similarities used by metric-based learners.
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz {

/// Squared Euclidean distances: a [..., n, d], b [..., m, d] -> [..., n, m].
Var pairwise_sq_dist(const Var& a, const Var& b);
/// x / max(||x||, eps) along `dim`.
Var l2_normalize(const Var& x, int64_t dim, double eps = 1e-8);
/// Cosine similarity of a and b along `dim` (broadcasting).
Var cosine_similarity(const Var& a, const Var& b, int64_t dim, double eps = 1e-8);

}  // namespace cz
