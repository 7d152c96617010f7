// Pooling. max_pool2d takes window maxima and their indices in one kernel; its derivative is
// scatter_add at those indices. avg_pool2d is the mean of unfolded windows.
#include "cezanne/autograd/ops/Pooling.hpp"

#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Convolution.hpp"
#include "cezanne/autograd/ops/Indexing.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

Var max_pool2d(const Var& x, int64_t kernel, int64_t stride, int64_t padding) {
  if (stride == 0) stride = kernel;
  MaxPoolResult r = cz::max_pool2d(x.data(), kernel, stride, padding);  // [..., Ho, Wo]
  Shape flat_x(x.shape().begin(), x.shape().end() - 2), flat_i = flat_x;
  flat_x.push_back(x.size(-2) * x.size(-1));
  flat_i.push_back(r.indices.size(-2) * r.indices.size(-1));
  const Tensor index = r.indices.reshape(flat_i);
  // The window maxima are x gathered at the indices, so the derivative scatters g back there
  // (and scatter_add's derivative is gather: every order follows).
  return record("max_pool2d", std::move(r.values), {x}, [index, flat_x](const Var& g, const SavedContext& c) {
    const Var& x = c.inputs[0];
    return std::vector<Var>{reshape(scatter_add(flat_x, -1, index, reshape(g, index.shape())), x.shape())};
  });
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
