// CUDA im2col (unfold) and col2im (fold): the kernels are in CudaConv.cuh. With them the
// interface's composites (backend/composite/Convolution.cpp) give conv2d and both its gradients:
// unfold or fold and one strided-batched GEMM covering every weight set (task) at once.
#include "CudaBackend.cuh"
#include "CudaConv.cuh"

namespace cz::cuda {

using namespace conv;

void CudaBackend::unfold(const Tensor& x, int64_t kh, int64_t kw, int64_t stride, int64_t padding,
                         Tensor& cols) {
  const ConvGeometry<int64_t> g = geometry(x.shape(), kh, kw, stride, padding);
  const GridLauncher launch{stream()};
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (fits_int32(g, x, cols))
      conv::unfold<T, int32_t>(launch, x, g, cols);
    else
      conv::unfold<T, int64_t>(launch, x, g, cols);
  });
}

void CudaBackend::fold(const Tensor& cols, int64_t kh, int64_t kw, int64_t stride, int64_t padding,
                       Tensor& out) {
  const ConvGeometry<int64_t> g = geometry(out.shape(), kh, kw, stride, padding);
  const GridLauncher launch{stream()};
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (fits_int32(g, out, cols))
      conv::fold<T, int32_t>(launch, cols, g, out);
    else
      conv::fold<T, int64_t>(launch, cols, g, out);
  });
}

}  // namespace cz::cuda
