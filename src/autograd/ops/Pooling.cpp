// Pooling. max_pool2d picks window maxima by gather (its derivative is scatter_add);
// avg_pool2d is the mean of unfolded windows. Both compose ops with known derivatives.
#include "cezanne/autograd/ops/Pooling.hpp"

#include "cezanne/autograd/ops/Convolution.hpp"
#include "cezanne/autograd/ops/Indexing.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

Var max_pool2d(const Var& x, int64_t kernel, int64_t stride, int64_t padding) {
  if (stride == 0) stride = kernel;
  const Tensor idx = max_pool2d_indices(x.data(), kernel, stride, padding);  // [..., Ho, Wo]
  Shape flat_x(x.shape().begin(), x.shape().end() - 2), flat_i = flat_x;
  flat_x.push_back(x.size(-2) * x.size(-1));
  flat_i.push_back(idx.size(-2) * idx.size(-1));
  Var picked = gather(reshape(x, flat_x), -1, idx.reshape(flat_i));
  return reshape(picked, idx.shape());
}

Var avg_pool2d(const Var& x, int64_t kernel, int64_t stride) {
  if (stride == 0) stride = kernel;
  if (x.dim() < 2) throw ShapeError("avg_pool2d: expected [..., H, W], got " + shape_str(x.shape()));
  const int64_t H = x.size(-2), W = x.size(-1);
  if (kernel <= 0 || stride <= 0 || H < kernel || W < kernel)
    throw ShapeError("avg_pool2d: kernel " + std::to_string(kernel) + ", stride " + std::to_string(stride) +
                     " do not fit input " + shape_str(x.shape()));
  const int64_t planes = x.numel() / (H * W);
  const int64_t Ho = (H - kernel) / stride + 1, Wo = (W - kernel) / stride + 1;
  Var cols = unfold(reshape(x, {planes, 1, H, W}), kernel, kernel, stride, 0);  // [k*k, planes*Ho*Wo]
  Shape shape(x.shape().begin(), x.shape().end() - 2);
  shape.push_back(Ho);
  shape.push_back(Wo);
  return reshape(mean(cols, {0}), shape);
}

}  // namespace cz
