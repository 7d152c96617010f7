// Convolution and its two gradients as three ops that are closed under differentiation: the
// derivatives of conv2d, conv2d_input_grad and conv2d_weight_grad are again these three, so
// convolutions are differentiable to any order. unfold and fold (im2col and its adjoint) are
// ops of their own, used by pooling.
#include "cezanne/autograd/ops/Convolution.hpp"

#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

Var unfold(const Var& x, int64_t kh, int64_t kw, int64_t stride, int64_t padding) {
  return record("unfold", cz::unfold(x.data(), kh, kw, stride, padding), {x},
                [kh, kw, stride, padding](const Var& g, const SavedContext& c) {
                  return std::vector<Var>{fold(g, c.inputs[0].shape(), kh, kw, stride, padding)};
                });
}

Var fold(const Var& cols, const Shape& image_shape, int64_t kh, int64_t kw, int64_t stride, int64_t padding) {
  return record("fold", cz::fold(cols.data(), image_shape, kh, kw, stride, padding), {cols},
                [kh, kw, stride, padding](const Var& g, const SavedContext&) {
                  return std::vector<Var>{unfold(g, kh, kw, stride, padding)};
                });
}

Var conv2d(const Var& x, const Var& weight, const Var& bias, int64_t stride, int64_t padding) {
  Tensor out = cz::conv2d(x.data(), weight.data(), bias.defined() ? bias.data() : Tensor(), stride, padding);
  std::vector<Var> inputs = {x, weight};
  if (bias.defined()) inputs.push_back(bias);
  return record("conv2d", std::move(out), std::move(inputs), [stride, padding](const Var& g, const SavedContext& c) {
    const Var& x = c.inputs[0];
    const Var& w = c.inputs[1];
    std::vector<Var> grads = {
        x.requires_grad() ? conv2d_input_grad(g, w, x.shape(), stride, padding) : Var(),
        w.requires_grad() ? conv2d_weight_grad(x, g, w.size(-2), w.size(-1), stride, padding) : Var()};
    if (c.inputs.size() == 3) {
      const bool tasks = x.dim() == 5;
      grads.push_back(c.inputs[2].requires_grad() ? sum(g, tasks ? std::vector<int64_t>{1, 3, 4}
                                                                 : std::vector<int64_t>{0, 2, 3})
                                                  : Var());
    }
    return grads;
  });
}

// z = fold(w^T g):  dz -> dg = conv2d(dz, w),  dw = g @ unfold(dz)^T = conv2d_weight_grad(dz, g).
Var conv2d_input_grad(const Var& grad_out, const Var& weight, const Shape& image_shape, int64_t stride,
                      int64_t padding) {
  return record("conv2d_input_grad",
                cz::conv2d_input_grad(grad_out.data(), weight.data(), image_shape, stride, padding),
                {grad_out, weight}, [stride, padding](const Var& gz, const SavedContext& c) {
                  const Var& g = c.inputs[0];
                  const Var& w = c.inputs[1];
                  return std::vector<Var>{
                      g.requires_grad() ? conv2d(gz, w, Var(), stride, padding) : Var(),
                      w.requires_grad() ? conv2d_weight_grad(gz, g, w.size(-2), w.size(-1), stride, padding) : Var()};
                });
}

// z = g @ unfold(x)^T:  dz -> dg = dz @ unfold(x) = conv2d(x, dz),  dx = fold(dz^T g) =
// conv2d_input_grad(g, dz).
Var conv2d_weight_grad(const Var& x, const Var& grad_out, int64_t kernel_h, int64_t kernel_w, int64_t stride,
                       int64_t padding) {
  return record("conv2d_weight_grad",
                cz::conv2d_weight_grad(x.data(), grad_out.data(), kernel_h, kernel_w, stride, padding),
                {x, grad_out}, [stride, padding](const Var& gz, const SavedContext& c) {
                  const Var& x = c.inputs[0];
                  const Var& g = c.inputs[1];
                  return std::vector<Var>{
                      x.requires_grad() ? conv2d_input_grad(g, gz, x.shape(), stride, padding) : Var(),
                      g.requires_grad() ? conv2d(x, gz, Var(), stride, padding) : Var()};
                });
}

}  // namespace cz
