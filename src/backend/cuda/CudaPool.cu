// CUDA max-pooling: the launcher of CudaPool.cuh's kernel, a thread per output element.
#include "CudaBackend.cuh"
#include "CudaPool.cuh"

namespace cz::cuda {

void CudaBackend::max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding,
                             Tensor& values, Tensor& indices) {
  const int64_t H = x.size(-2), W = x.size(-1), Ho = indices.size(-2), Wo = indices.size(-1);
  const int64_t n = indices.numel();
  if (n == 0) return;
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    pool::max_pool2d_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(
        data<T>(x), data<T>(values), data<int64_t>(indices), n, H, W, Ho, Wo, kernel, stride,
        padding);
    CZ_CHECK_CUDA_LAUNCH();
  });
}

}  // namespace cz::cuda
