// Differentiable convolution (im2col + GEMM one image at a time), with an optional leading task axis.
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz {

/// im2col: x [..., N, C, H, W] -> [..., C*k*k, N*Ho*Wo]; its backward is fold.
Var unfold(const Var& x, int64_t kernel_h, int64_t kernel_w, int64_t stride, int64_t padding);
/// col2im (sums overlaps): cols -> [..., N, C, H, W] of `image_shape`; its backward is unfold.
Var fold(const Var& cols, const Shape& image_shape, int64_t kernel_h, int64_t kernel_w, int64_t stride,
         int64_t padding);

/// 2-d convolution (cross-correlation).
///  x [N, C, H, W], weight [F, C, k, k], bias [F] or undefined -> [N, F, Ho, Wo];
///  task axis: x [T, N, C, H, W], weight [T, F, C, k, k], bias [T, F] -> [T, N, F, Ho, Wo]
///  (per-task weights: a grouped convolution).
Var conv2d(const Var& x, const Var& weight, const Var& bias, int64_t stride = 1, int64_t padding = 0);
/// conv2d's input gradient (a transposed convolution) as a differentiable op:
///  grad_out [(T,) N, F, Ho, Wo], weight [(T,) F, C, k, k] -> [(T,) N, C, H, W] of `image_shape`.
Var conv2d_input_grad(const Var& grad_out, const Var& weight, const Shape& image_shape, int64_t stride,
                      int64_t padding);
/// conv2d's weight gradient as a differentiable op:
///  x [(T,) N, C, H, W], grad_out [(T,) N, F, Ho, Wo] -> [(T,) F, C, kernel_h, kernel_w].
Var conv2d_weight_grad(const Var& x, const Var& grad_out, int64_t kernel_h, int64_t kernel_w, int64_t stride,
                       int64_t padding);

}  // namespace cz
