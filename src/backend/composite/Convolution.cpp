// Default convolution kernels: im2col (unfold) or col2im (fold) and one batched GEMM per
// weight set.
#include "cezanne/backend/Backend.hpp"

namespace cz {

namespace {

/// The operands as [B, ...] with B weight sets: x [B, N, C, H, W], weight [B, F, C*kh*kw].
struct ConvViews {
  int64_t B, N, C, H, W, F, kh, kw, Ho, Wo;
};

ConvViews conv_views(const Shape& image, const Tensor& weight, int64_t stride, int64_t padding) {
  const size_t r = image.size();
  ConvViews v{};
  v.N = image[r - 4], v.C = image[r - 3], v.H = image[r - 2], v.W = image[r - 1];
  v.B = shape_numel(image) / (v.N * v.C * v.H * v.W);
  v.F = weight.size(-4), v.kh = weight.size(-2), v.kw = weight.size(-1);
  v.Ho = (v.H + 2 * padding - v.kh) / stride + 1, v.Wo = (v.W + 2 * padding - v.kw) / stride + 1;
  return v;
}

/// [B, N, F, Ho, Wo] -> [B, F, N*Ho*Wo], the layout the GEMMs produce and consume.
Tensor by_filter(const Tensor& t, const ConvViews& v) {
  return t.view({v.B, v.N, v.F, v.Ho * v.Wo})
      .permute({0, 2, 1, 3})
      .reshape({v.B, v.F, v.N * v.Ho * v.Wo});
}

}  // namespace

void Backend::conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, int64_t stride,
                     int64_t padding, Tensor& out) {
  const ConvViews v = conv_views(x.shape(), weight, stride, padding);
  Tensor cols = Tensor::empty({v.B, v.C * v.kh * v.kw, v.N * v.Ho * v.Wo}, x.dtype(), x.device());
  unfold(x.view({v.B, v.N, v.C, v.H, v.W}), v.kh, v.kw, stride, padding, cols);
  const Tensor y = matmul(weight.view({v.B, v.F, -1}), cols);  // [B, F, N*Ho*Wo]
  Tensor o = out.view({v.B, v.N, v.F, v.Ho, v.Wo});
  copy(y.view({v.B, v.F, v.N, v.Ho, v.Wo}).permute({0, 2, 1, 3, 4}), o);
  if (bias) binary(BinaryOp::add, o, bias->view({v.B, 1, v.F, 1, 1}).expand(o.shape()), o);
}

void Backend::conv2d_input_grad(const Tensor& grad_out, const Tensor& weight, int64_t stride,
                                int64_t padding, Tensor& grad_x) {
  const ConvViews v = conv_views(grad_x.shape(), weight, stride, padding);
  const Tensor cols = matmul(weight.view({v.B, v.F, -1}).transpose(1, 2), by_filter(grad_out, v));
  Tensor gx = grad_x.view({v.B, v.N, v.C, v.H, v.W});
  fill(gx, 0.0);
  fold(cols, v.kh, v.kw, stride, padding, gx);
}

void Backend::conv2d_weight_grad(const Tensor& x, const Tensor& grad_out, int64_t stride,
                                 int64_t padding, Tensor& grad_weight) {
  const ConvViews v = conv_views(x.shape(), grad_weight, stride, padding);
  Tensor cols = Tensor::empty({v.B, v.C * v.kh * v.kw, v.N * v.Ho * v.Wo}, x.dtype(), x.device());
  unfold(x.view({v.B, v.N, v.C, v.H, v.W}), v.kh, v.kw, stride, padding, cols);
  Tensor gw = grad_weight.view({v.B, v.F, v.C * v.kh * v.kw});
  copy(matmul(by_filter(grad_out, v), cols.transpose(1, 2)), gw);
}

}  // namespace cz
