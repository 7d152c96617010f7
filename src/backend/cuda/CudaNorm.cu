// CUDA batch normalization with batch statistics, alone and fused with Conv4's 2x2 max-pool: the
// launchers of CudaNorm.cuh's kernels, one block of kNormThreads per (set, channel) pair.
#include <algorithm>
#include <cstdint>
#include <string>

#include "CudaBackend.cuh"
#include "CudaNorm.cuh"

namespace cz::cuda {

using namespace norm;

namespace {

NormGeometry geometry(const Tensor& x) {
  const int64_t B = x.size(0), N = x.size(1), C = x.size(2);
  return {B, N, C, x.numel() / std::max<int64_t>(B * N * C, 1)};
}

// One block per (set, channel) pair, up to 65535 blocks that then take several pairs each.
unsigned pair_blocks(const NormGeometry& g) {
  return static_cast<unsigned>(std::min<int64_t>(g.B * g.C, 65535));
}

PoolGeometry pool_geometry(const char* op, const Tensor& x) {
  const int64_t H = x.size(3), W = x.size(4);
  if (H * W > INT32_MAX)
    throw ShapeError(std::string("cuda backend: ") + op + ": a plane of " + std::to_string(H) +
                     "x" + std::to_string(W) + " is beyond 2^31 elements");
  return {static_cast<int>(H), static_cast<int>(W), static_cast<int>(W / 2),
          static_cast<int>((H / 2) * (W / 2))};
}

template <class T>
const T* optional_data(const Tensor* t) {
  return t ? data<T>(*t) : nullptr;
}

}  // namespace

void CudaBackend::batch_norm(const Tensor& x, const Tensor* gamma, const Tensor* beta, double eps,
                             Tensor& y, Tensor& mean, Tensor& var) {
  const NormGeometry g = geometry(x);
  if (g.B * g.C == 0) return;
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    batch_norm_kernel<T><<<pair_blocks(g), kNormThreads, 0, stream()>>>(
        g, data<T>(x), optional_data<T>(gamma), optional_data<T>(beta), eps, data<T>(y),
        data<T>(mean), data<T>(var));
    CZ_CHECK_CUDA_LAUNCH();
  });
}

void CudaBackend::batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor* gamma,
                                      const Tensor& mean, const Tensor& var, double eps,
                                      Tensor& grad_x, Tensor& grad_gamma, Tensor& grad_beta) {
  const NormGeometry g = geometry(x);
  if (g.B * g.C == 0) return;
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    batch_norm_backward_kernel<T><<<pair_blocks(g), kNormThreads, 0, stream()>>>(
        g, data<T>(grad_y), data<T>(x), optional_data<T>(gamma), data<T>(mean), data<T>(var), eps,
        data<T>(grad_x), data<T>(grad_gamma), data<T>(grad_beta));
    CZ_CHECK_CUDA_LAUNCH();
  });
}

void CudaBackend::batch_norm_max_pool2d(const Tensor& x, const Tensor* gamma, const Tensor* beta,
                                        double eps, Tensor& y, Tensor& indices, Tensor& mean,
                                        Tensor& var) {
  const NormGeometry g = geometry(x);
  if (g.B * g.C == 0) return;
  const PoolGeometry pg = pool_geometry("batch_norm_max_pool2d", x);
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    batch_norm_max_pool2d_kernel<T><<<pair_blocks(g), kNormThreads, 0, stream()>>>(
        g, pg, data<T>(x), optional_data<T>(gamma), optional_data<T>(beta), eps, data<T>(y),
        data<int64_t>(indices), data<T>(mean), data<T>(var));
    CZ_CHECK_CUDA_LAUNCH();
  });
}

void CudaBackend::batch_norm_max_pool2d_backward(const Tensor& grad_y, const Tensor& indices,
                                                 const Tensor& x, const Tensor* gamma,
                                                 const Tensor& mean, const Tensor& var, double eps,
                                                 Tensor& grad_x, Tensor& grad_gamma,
                                                 Tensor& grad_beta) {
  const NormGeometry g = geometry(x);
  if (g.B * g.C == 0) return;
  const PoolGeometry pg = pool_geometry("batch_norm_max_pool2d_backward", x);
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    batch_norm_max_pool2d_backward_kernel<T><<<pair_blocks(g), kNormThreads, 0, stream()>>>(
        g, pg, data<T>(grad_y), data<int64_t>(indices), data<T>(x), optional_data<T>(gamma),
        data<T>(mean), data<T>(var), eps, data<T>(grad_x), data<T>(grad_gamma), data<T>(grad_beta));
    CZ_CHECK_CUDA_LAUNCH();
  });
}

}  // namespace cz::cuda
