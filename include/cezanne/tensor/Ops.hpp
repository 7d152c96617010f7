// Tensor-level operations (no autograd): allocate the result and dispatch to the backend of
// the inputs' device. Binary ops broadcast (NumPy rules).
#pragma once

#include <vector>

#include "cezanne/tensor/Tensor.hpp"

namespace cz {

enum class UnaryOp : uint8_t { neg, exp, log, sqrt, rsqrt, abs, sign, sigmoid, tanh, relu, reciprocal, square, erf };
enum class BinaryOp : uint8_t { add, sub, mul, div, pow, maximum, minimum, gt, ge, lt, le, eq };
enum class ReduceOp : uint8_t { sum, max };

const char* op_name(UnaryOp op);
const char* op_name(BinaryOp op);

Tensor unary(UnaryOp op, const Tensor& x);
/// Broadcasting binary op; comparisons return 1/0 in the promoted floating type.
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
/// scale * x + shift.
Tensor affine(const Tensor& x, double scale, double shift);
Tensor pow_scalar(const Tensor& x, double exponent);
Tensor clamp(const Tensor& x, double low, double high);
/// 1 where low <= x <= high, else 0 (the derivative mask of clamp).
Tensor in_range_mask(const Tensor& x, double low, double high);
/// condition != 0 ? a : b, broadcasting all three.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

/// Sum over `dims` (empty = all).
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
/// Sums a broadcast tensor back to `shape` (the adjoint of expand).
Tensor sum_to(const Tensor& x, const Shape& shape);
/// Maximum over one dimension; `indices` (i64, same shape as the result) if non-null.
Tensor max(const Tensor& x, int64_t dim, bool keepdim, Tensor* indices);

/// [..., m, k] @ [..., k, n] -> [..., m, n] with broadcast batch dimensions; 1-d operands
/// are promoted as in NumPy. Transposed views reach BLAS without a copy.
Tensor matmul(const Tensor& a, const Tensor& b);

/// im2col over the last three dims: x [..., N, C, H, W] -> [..., C*kh*kw, N*Ho*Wo].
Tensor unfold(const Tensor& x, int64_t kh, int64_t kw, int64_t stride, int64_t padding);
/// col2im, the adjoint of unfold: cols [..., C*kh*kw, N*Ho*Wo] -> [..., N, C, H, W] (sums overlaps).
Tensor fold(const Tensor& cols, const Shape& image_shape, int64_t kh, int64_t kw, int64_t stride, int64_t padding);

/// 2-d convolution (cross-correlation), computed one image at a time (im2col + GEMM per image).
///  x [N, C, H, W], weight [F, C, kh, kw], bias [F] or undefined -> [N, F, Ho, Wo];
///  task axis: x [T, N, C, H, W], weight [T, F, C, kh, kw], bias [T, F] -> [T, N, F, Ho, Wo].
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride, int64_t padding);
/// The gradient of conv2d's input (a transposed convolution): grad_out [(T,) N, F, Ho, Wo] and
/// weight [(T,) F, C, kh, kw] -> [(T,) N, C, H, W] of `image_shape`.
Tensor conv2d_input_grad(const Tensor& grad_out, const Tensor& weight, const Shape& image_shape, int64_t stride,
                         int64_t padding);
/// The gradient of conv2d's weight: x [(T,) N, C, H, W] and grad_out [(T,) N, F, Ho, Wo]
/// -> [(T,) F, C, kh, kw] (summed over the images).
Tensor conv2d_weight_grad(const Tensor& x, const Tensor& grad_out, int64_t kh, int64_t kw, int64_t stride,
                          int64_t padding);

/// Batch normalization with batch statistics over every dim but the channel: x [N, C, ...], or
/// [T, N, C, ...] with per-task statistics when `task_axis`. y = (x - mean) / sqrt(var + eps) *
/// gamma + beta; mean and var (biased) come back as [C] (or [T, C]). gamma, beta: [C] (or [T, C])
/// or undefined.
/// The shape of batch_norm's per-channel parameters and statistics for an input of shape x:
/// [C], or [T, C] with the task axis. Throws ShapeError when x has no channel dim, or when one
/// of `params` (the shapes of a defined gamma / beta) differs from it.
Shape batch_norm_param_shape(const Shape& x, bool task_axis, const std::vector<Shape>& params = {});
struct BatchNormResult {
  Tensor y, mean, var;
};
BatchNormResult batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps, bool task_axis);
/// The first-order gradients of batch_norm given its output gradient and statistics.
struct BatchNormGrads {
  Tensor x, gamma, beta;
};
BatchNormGrads batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& gamma, const Tensor& mean,
                                   const Tensor& var, double eps, bool task_axis);
/// batch_norm (batch statistics) followed by a 2x2, stride-2 max-pool, in one pass that never
/// writes the normalized tensor: x [N, C, H, W] (or [T, N, C, H, W] with `task_axis`); y and
/// indices [..., H/2, W/2] are max_pool2d(batch_norm(x).y, 2)'s values and indices, mean and var
/// batch_norm's.
struct BatchNormPoolResult {
  Tensor y, indices, mean, var;
};
BatchNormPoolResult batch_norm_max_pool2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps,
                                          bool task_axis);
/// Its first-order gradients given the pooled output's gradient grad_y and the forward's indices
/// and statistics (batch_norm_backward of grad_y scattered to the indices).
BatchNormGrads batch_norm_max_pool2d_backward(const Tensor& grad_y, const Tensor& indices, const Tensor& x,
                                              const Tensor& gamma, const Tensor& mean, const Tensor& var, double eps,
                                              bool task_axis);

/// out[i][j][k] = x[i][index[i][j][k]][k] for dim = 1, etc. (index i64, same rank as x).
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
/// The adjoint of gather: zeros of `shape`, then out[..index..] += src.
Tensor scatter_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src);
/// Rows `index` (1-d i64) of x along `dim`.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
/// The adjoint of index_select: zeros of `shape`, then slices `index` along dim += src.
Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src);

/// Concatenation along `dim`.
Tensor cat(const std::vector<Tensor>& xs, int64_t dim);

/// For x [..., H, W]: each k x k window's maximum [..., Ho, Wo] and its flat index into H*W
/// (i64; the first maximum, or the window's first NaN).
struct MaxPoolResult {
  Tensor values, indices;
};
MaxPoolResult max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding);

/// Keep-mask scaled by 1/(1-p): element i is a pure function of (seed, counter + i).
Tensor dropout_mask(const Shape& shape, double p, uint64_t seed, uint64_t counter, DType dtype, Device device);

/// One Adam/AdamW step of a parameter range (Adam.hpp has the formula), at the parameter's
/// step t >= 1; updates p, m (first moment) and v (second moment) in place, in double precision.
struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;
  int64_t t;
};
void adam_update_(const AdamStep& s, Tensor& p, const Tensor& g, Tensor& m, Tensor& v);
/// One SGD step (SGD.hpp has the formula); updates p and the momentum buffer in place.
struct SgdStep {
  double lr, momentum, weight_decay;
  bool nesterov;
};
void sgd_update_(const SgdStep& s, Tensor& p, const Tensor& g, Tensor& buffer);

/// Whether every element is finite, computed on the tensor's device (one scalar comes back).
bool all_finite(const Tensor& x);

/// Largest absolute difference (tests and checks).
double max_abs_diff(const Tensor& a, const Tensor& b);

}  // namespace cz
