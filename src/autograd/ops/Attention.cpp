// Scaled dot-product attention, composed: its derivatives are matmul's and softmax's.
#include "cezanne/autograd/ops/Attention.hpp"

#include <cmath>

#include "cezanne/autograd/ops/Linalg.hpp"
#include "cezanne/autograd/ops/Loss.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/autograd/ops/Shape.hpp"

namespace cz {

Var scaled_dot_product_attention(const Var& q, const Var& k, const Var& v) {
  if (q.dim() < 2 || k.dim() != q.dim() || v.dim() != q.dim() || q.size(-1) != k.size(-1) ||
      k.size(-2) != v.size(-2))
    throw ShapeError("scaled_dot_product_attention: q " + shape_str(q.shape()) + ", k " + shape_str(k.shape()) +
                     ", v " + shape_str(v.shape()) + " must be [..., Lq, d], [..., Lk, d], [..., Lk, dv]");
  // scores: [..., Lq, Lk]; the scale keeps their variance near 1 whatever d.
  const Var scores = matmul(q, transpose(k, -1, -2)) * (1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  return matmul(softmax(scores, -1), v);
}

}  // namespace cz
