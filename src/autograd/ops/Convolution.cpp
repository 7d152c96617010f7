// Convolution as unfold (im2col) + batched GEMM. unfold and fold are each other's adjoints, so
// the derivative of a convolution of any order is again unfold/fold/matmul.
#include "cezanne/autograd/ops/Convolution.hpp"

#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Linalg.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"
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
  const bool tasks = x.dim() == 5;
  const char* where = "conv2d";
  auto fail = [&](const std::string& why) {
    throw ShapeError(std::string(where) + ": input " + shape_str(x.shape()) + ", weight " +
                     shape_str(weight.shape()) + (bias.defined() ? ", bias " + shape_str(bias.shape()) : "") + ": " +
                     why);
  };
  if (!(x.dim() == 4 && weight.dim() == 4) && !(tasks && weight.dim() == 5))
    fail("expected x [N, C, H, W] with weight [F, C, k, k], or x [T, N, C, H, W] with weight [T, F, C, k, k]");
  const int64_t T = tasks ? x.size(0) : 1;
  if (tasks && weight.size(0) != T) fail("task counts differ");
  const int64_t N = x.size(-4), C = x.size(-3), F = weight.size(-4), kh = weight.size(-2), kw = weight.size(-1);
  if (weight.size(-3) != C)
    fail("input has " + std::to_string(C) + " channels, weight expects " + std::to_string(weight.size(-3)));
  if (bias.defined() && bias.shape() != (tasks ? Shape{T, F} : Shape{F})) fail("bias does not match the filters");
  if (x.size(-2) + 2 * padding < kh || x.size(-1) + 2 * padding < kw) fail("kernel larger than the padded input");
  const int64_t Ho = (x.size(-2) + 2 * padding - kh) / stride + 1, Wo = (x.size(-1) + 2 * padding - kw) / stride + 1;

  Var cols = unfold(x, kh, kw, stride, padding);  // [(T,) C*k*k, N*Ho*Wo]
  Var out;
  if (tasks) {
    out = matmul(reshape(weight, {T, F, C * kh * kw}), cols);                 // [T, F, N*Ho*Wo]
    out = permute(reshape(out, {T, F, N, Ho, Wo}), {0, 2, 1, 3, 4});         // [T, N, F, Ho, Wo]
    if (bias.defined()) return out + reshape(bias, {T, 1, F, 1, 1});
  } else {
    out = matmul(reshape(weight, {F, C * kh * kw}), cols);                    // [F, N*Ho*Wo]
    out = permute(reshape(out, {F, N, Ho, Wo}), {1, 0, 2, 3});                // [N, F, Ho, Wo]
    if (bias.defined()) return out + reshape(bias, {1, F, 1, 1});
  }
  return contiguous(out);
}

}  // namespace cz
