// Reductions and their derivatives: sum's backward broadcasts the gradient back (expand),
// max's goes through gather, logsumexp is composed so its derivative is the softmax.
#include "cezanne/autograd/ops/Reduction.hpp"

#include <algorithm>
#include <limits>

#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Indexing.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

namespace {

Shape keepdim_shape(const Shape& shape, const std::vector<int64_t>& dims, const char* op) {
  Shape kept = shape;
  if (dims.empty()) {
    for (auto& s : kept) s = 1;
  }
  for (int64_t d : dims) kept[wrap_dim(d, static_cast<int64_t>(shape.size()), op)] = 1;
  return kept;
}

int64_t reduced_count(const Shape& shape, const Shape& kept) { return shape_numel(shape) / std::max<int64_t>(shape_numel(kept), 1); }

}  // namespace

Var sum(const Var& x) { return sum(x, {}, false); }

Var sum(const Var& x, const std::vector<int64_t>& dims, bool keepdim) {
  const Shape kept = keepdim_shape(x.shape(), dims, "sum");
  return record("sum", cz::sum(x.data(), dims, keepdim), {x}, [kept](const Var& g, const SavedContext& c) {
    // grad: [kept] -> expand to x's shape
    return std::vector<Var>{expand(reshape(g, kept), c.inputs[0].shape())};
  });
}

Var mean(const Var& x) { return mean(x, {}, false); }

Var mean(const Var& x, const std::vector<int64_t>& dims, bool keepdim) {
  const int64_t n = reduced_count(x.shape(), keepdim_shape(x.shape(), dims, "mean"));
  return sum(x, dims, keepdim) * (1.0 / static_cast<double>(std::max<int64_t>(n, 1)));
}

Var sum_to(const Var& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const Shape& xs = x.shape();
  if (shape.size() > xs.size()) throw ShapeError("sum_to: cannot sum " + shape_str(xs) + " to " + shape_str(shape));
  const size_t lead = xs.size() - shape.size();
  std::vector<int64_t> dims;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && xs[i] != 1)) {
      dims.push_back(static_cast<int64_t>(i));
    } else if (shape[i - lead] != xs[i]) {
      throw ShapeError("sum_to: cannot sum " + shape_str(xs) + " to " + shape_str(shape));
    }
  }
  if (dims.empty()) return reshape(x, shape);
  return reshape(sum(x, dims, true), shape);
}

Var max(const Var& x, int64_t dim, bool keepdim) {
  const int64_t d = wrap_dim(dim, x.dim(), "max");
  Tensor idx;
  cz::max(x.data(), d, true, &idx);
  Var values = gather(x, d, idx);
  return keepdim ? values : squeeze(values, d);
}

Var logsumexp(const Var& x, int64_t dim, bool keepdim) {
  const int64_t d = wrap_dim(dim, x.dim(), "logsumexp");
  // The shift is a constant: the result's derivative is exactly softmax(x).
  Tensor m = cz::max(x.data(), d, true, nullptr);
  // A non-finite maximum (all -inf, or NaN) shifts by 0 instead.
  const Tensor finite = binary(BinaryOp::lt, unary(UnaryOp::abs, m),
                               Tensor::full({}, std::numeric_limits<double>::infinity(), m.dtype(), m.device()));
  m = cz::where(finite, m, Tensor::zeros({}, m.dtype(), m.device()));
  const Var shift(m);
  Var out = log(sum(exp(x - shift), {d}, true)) + shift;
  return keepdim ? out : squeeze(out, d);
}

}  // namespace cz
