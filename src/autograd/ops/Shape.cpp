// Views and joins and their derivatives: each view's backward is the inverse view, slice's is
// slice_backward (a zero-padded placement, whose own backward is slice again).
#include "cezanne/autograd/ops/Shape.hpp"

#include <algorithm>
#include <numeric>

#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

namespace {

// Zeros of `shape` with `g` placed at slice(dim, start, end, step).
Var slice_backward(const Var& g, const Shape& shape, int64_t dim, int64_t start, int64_t end, int64_t step) {
  Tensor out = Tensor::zeros(shape, g.dtype(), g.device());
  Tensor dst = out.slice(dim, start, end, step);
  dst.copy_(g.data());
  return record("slice_backward", out, {g}, [dim, start, end, step](const Var& gg, const SavedContext&) {
    return std::vector<Var>{slice(gg, dim, start, end, step)};
  });
}

}  // namespace

Var reshape(const Var& x, const Shape& shape) {
  return record("reshape", x.data().reshape(shape), {x}, [](const Var& g, const SavedContext& c) {
    return std::vector<Var>{reshape(g, c.inputs[0].shape())};
  });
}

Var flatten(const Var& x, int64_t start_dim, int64_t end_dim) {
  return reshape(x, x.data().flatten(start_dim, end_dim).shape());
}

Var permute(const Var& x, const std::vector<int64_t>& order) {
  Tensor out = x.data().permute(order);
  std::vector<int64_t> inverse(order.size());
  for (size_t i = 0; i < order.size(); ++i) inverse[wrap_dim(order[i], x.dim(), "permute")] = static_cast<int64_t>(i);
  return record("permute", out, {x},
                [inverse](const Var& g, const SavedContext&) { return std::vector<Var>{permute(g, inverse)}; });
}

Var transpose(const Var& x, int64_t a, int64_t b) {
  return record("transpose", x.data().transpose(a, b), {x},
                [a, b](const Var& g, const SavedContext&) { return std::vector<Var>{transpose(g, a, b)}; });
}

Var slice(const Var& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  Tensor out = x.data().slice(dim, start, end, step);
  // Normalize the bounds as Tensor::slice does, for the backward.
  const int64_t d = wrap_dim(dim, x.dim(), "slice"), n = x.size(d);
  int64_t s = start < 0 ? start + n : start, e = end < 0 ? end + n : end;
  s = std::clamp<int64_t>(s, 0, n);
  e = std::clamp<int64_t>(e, s, n);
  return record("slice", out, {x}, [d, s, e, step](const Var& g, const SavedContext& c) {
    return std::vector<Var>{slice_backward(g, c.inputs[0].shape(), d, s, e, step)};
  });
}

Var select(const Var& x, int64_t dim, int64_t index) {
  const int64_t d = wrap_dim(dim, x.dim(), "select");
  const int64_t i = index < 0 ? index + x.size(d) : index;
  if (i < 0 || i >= x.size(d))
    throw ShapeError("select: index " + std::to_string(index) + " out of range for dim " + std::to_string(d) +
                     " of " + shape_str(x.shape()));
  return squeeze(slice(x, d, i, i + 1), d);
}

Var expand(const Var& x, const Shape& shape) {
  return record("expand", x.data().expand(shape), {x}, [](const Var& g, const SavedContext& c) {
    return std::vector<Var>{sum_to(g, c.inputs[0].shape())};
  });
}

Var unsqueeze(const Var& x, int64_t dim) { return reshape(x, x.data().unsqueeze(dim).shape()); }

Var squeeze(const Var& x, int64_t dim) { return reshape(x, x.data().squeeze(dim).shape()); }

Var contiguous(const Var& x) {
  if (x.data().is_contiguous()) return x;
  return record("contiguous", x.data().contiguous(), {x},
                [](const Var& g, const SavedContext&) { return std::vector<Var>{g}; });
}

Var cat(const std::vector<Var>& xs, int64_t dim) {
  std::vector<Tensor> data;
  for (const Var& x : xs) data.push_back(x.data());
  Tensor out = cz::cat(data, dim);
  const int64_t d = wrap_dim(dim, out.dim(), "cat");
  return record("cat", out, xs, [d](const Var& g, const SavedContext& c) {
    std::vector<Var> grads;
    int64_t at = 0;
    for (const Var& x : c.inputs) {
      const int64_t n = x.size(d);
      grads.push_back(x.requires_grad() ? slice(g, d, at, at + n) : Var());
      at += n;
    }
    return grads;
  });
}

Var stack(const std::vector<Var>& xs, int64_t dim) {
  if (xs.empty()) throw ShapeError("stack: no tensors");
  const int64_t d = wrap_dim(dim, xs[0].dim() + 1, "stack");
  std::vector<Var> expanded;
  for (const Var& x : xs) {
    if (x.shape() != xs[0].shape())
      throw ShapeError("stack: shapes " + shape_str(x.shape()) + " and " + shape_str(xs[0].shape()) + " differ");
    expanded.push_back(unsqueeze(x, d));
  }
  return cat(expanded, d);
}

}  // namespace cz
