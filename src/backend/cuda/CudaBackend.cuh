// The CUDA backend: the backend interface on one GPU. Kernels are launched on the calling
// thread's current stream of the device (backend/Stream.hpp) and never synchronize the host;
// only memcpy to the host and synchronize() wait. One .cu per op family implements its methods.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "CudaCheck.cuh"
#include "CudaLaunch.cuh"
#include "cezanne/backend/Backend.hpp"

namespace cz::cuda {

#if defined(__CUDACC__)
/// Launches kernel<<<blocks, kThreads>>>(args...) on `stream`: the launcher that the host code of
/// the kernels' .cuh files (reduce::run_plan, launch_gather, ...) takes, so that
/// tests/backend/CudaEmulation.hpp can run the same code with its own.
struct StreamLaunch {
  cudaStream_t stream;
  template <class Kernel, class... Args>
  void operator()(Kernel kernel, unsigned blocks, const Args&... args) const {
    kernel<<<blocks, kThreads, 0, stream>>>(args...);
    CZ_CHECK_CUDA_LAUNCH();
  }
};

/// The grid-stride kernels' launcher: launch(kernel, n, arguments...) runs kernel(n,
/// arguments...) on blocks_for(n) blocks (the emulation in tests/backend has its own).
struct GridLauncher {
  cudaStream_t stream;
  template <class... Parameters, class... Arguments>
  void operator()(void (*kernel)(int64_t, Parameters...), int64_t n, Arguments... arguments) const {
    StreamLaunch{stream}(kernel, blocks_for(n), n, arguments...);
  }
};
#endif

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int index);
  ~CudaBackend() override;
  Device device() const override { return Device::cuda(index_); }

  /// The calling thread's current stream on this device (null: the default stream); makes this
  /// device the thread's current CUDA device, so that a kernel launched on it runs here.
  cudaStream_t stream() const;
  /// The cuBLAS handle of this device, bound to stream() for the call that follows.
  cublasHandle_t blas();

  void memcpy(void* dst, const void* src, size_t bytes, Device dst_device, Device src_device) override;
  void synchronize(const Stream& stream) override;

  void copy(const Tensor& src, Tensor& out) override;
  void fill(Tensor& out, double value) override;
  void unary(UnaryOp op, const Tensor& x, Tensor& out) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) override;
  void affine(const Tensor& x, double scale, double shift, Tensor& out) override;
  void pow_scalar(const Tensor& x, double exponent, Tensor& out) override;
  void clamp(const Tensor& x, double low, double high, Tensor& out) override;
  void in_range_mask(const Tensor& x, double low, double high, Tensor& out) override;
  void where(const Tensor& condition, const Tensor& a, const Tensor& b, Tensor& out) override;

  void reduce(ReduceOp op, const Tensor& x, Tensor& out, Tensor* indices) override;
  void gemm(DType dtype, const GemmBatch& g) override;

  void unfold(const Tensor& x, int64_t kh, int64_t kw, int64_t stride, int64_t padding, Tensor& cols) override;
  void fold(const Tensor& cols, int64_t kh, int64_t kw, int64_t stride, int64_t padding, Tensor& out) override;

  void batch_norm(const Tensor& x, const Tensor* gamma, const Tensor* beta, double eps, Tensor& y, Tensor& mean,
                  Tensor& var) override;
  void batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor* gamma, const Tensor& mean,
                           const Tensor& var, double eps, Tensor& grad_x, Tensor& grad_gamma,
                           Tensor& grad_beta) override;
  void batch_norm_max_pool2d(const Tensor& x, const Tensor* gamma, const Tensor* beta, double eps, Tensor& y,
                             Tensor& indices, Tensor& mean, Tensor& var) override;
  void batch_norm_max_pool2d_backward(const Tensor& grad_y, const Tensor& indices, const Tensor& x,
                                      const Tensor* gamma, const Tensor& mean, const Tensor& var, double eps,
                                      Tensor& grad_x, Tensor& grad_gamma, Tensor& grad_beta) override;

  void max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding, Tensor& values,
                  Tensor& indices) override;

  void gather(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) override;
  void scatter_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) override;
  void index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) override;
  void index_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) override;

  void random(bool normal, double a, double b, uint64_t seed, uint64_t counter, Tensor& out) override;
  void dropout_mask(double p, uint64_t seed, uint64_t counter, Tensor& out) override;

  void adam_update(const AdamStep& s, Tensor& p, const Tensor& g, Tensor& m, Tensor& v) override;
  void sgd_update(const SgdStep& s, Tensor& p, const Tensor& g, Tensor& buffer) override;

 private:
  int index_;
  cublasHandle_t blas_ = nullptr;
};

}  // namespace cz::cuda
