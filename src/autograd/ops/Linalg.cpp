// Matrix products and their derivatives:
//   C = A @ B     dA = dC @ B^T   dB = A^T @ dC   (summed over broadcast batch dims)
#include "cezanne/autograd/ops/Linalg.hpp"

#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

namespace {

Var matmul_nd(const Var& a, const Var& b) {
  return record("matmul", cz::matmul(a.data(), b.data()), {a, b}, [](const Var& g, const SavedContext& c) {
    const Var& a = c.inputs[0];
    const Var& b = c.inputs[1];
    // g: [..., m, n]
    return std::vector<Var>{a.requires_grad() ? sum_to(matmul(g, transpose(b, -1, -2)), a.shape()) : Var(),
                            b.requires_grad() ? sum_to(matmul(transpose(a, -1, -2), g), b.shape()) : Var()};
  });
}

}  // namespace

Var matmul(const Var& a, const Var& b) {
  if (a.dim() == 0 || b.dim() == 0)
    throw ShapeError("matmul: 0-d operand " + shape_str(a.shape()) + " @ " + shape_str(b.shape()));
  const bool vec_a = a.dim() == 1, vec_b = b.dim() == 1;
  Var out = matmul_nd(vec_a ? unsqueeze(a, 0) : a, vec_b ? unsqueeze(b, 1) : b);
  if (vec_a) out = squeeze(out, -2);
  if (vec_b) out = squeeze(out, -1);
  return out;
}

}  // namespace cz
