// Differentiable convolution by im2col + GEMM, with an optional leading task axis.
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
///  (per-task weights: a grouped convolution, one batched GEMM for all tasks).
Var conv2d(const Var& x, const Var& weight, const Var& bias, int64_t stride = 1, int64_t padding = 0);

}  // namespace cz
