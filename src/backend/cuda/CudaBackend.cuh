// The CUDA backend: the backend interface on one GPU. Kernels are launched on the calling
// thread's current stream of the device (backend/Stream.hpp) and never synchronize the host;
// only memcpy to the host and synchronize() wait. One .cu per op family implements its methods.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "CudaCheck.cuh"
#include "cezanne/backend/Backend.hpp"

namespace cz::cuda {

/// Threads per block of the element-wise kernels.
constexpr int kThreads = 256;

/// Blocks for a grid-stride loop over n elements.
inline unsigned blocks_for(int64_t n, int threads = kThreads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535 ? 65535 : b));
}

/// Grid-stride loop over [0, n).
#define CZ_CUDA_LOOP(i, n)                                                                           \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

/// A tensor's layout by value, for a kernel argument: the element offset of linear index i of
/// `shape` (row-major) under `strides` (stride 0 where broadcast).
struct Indexer {
  static constexpr int kMaxDims = 8;
  int dims = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};

  __host__ __device__ int64_t offset(int64_t linear) const {
    int64_t off = 0;
    for (int d = dims - 1; d >= 0; --d) {
      const int64_t i = linear % shape[d];
      linear /= shape[d];
      off += i * strides[d];
    }
    return off;
  }
};

/// The layout of `t` over `shape` (t's strides; its shape must be `shape`, broadcast included).
/// Throws ShapeError beyond Indexer::kMaxDims dims.
Indexer indexer(const Shape& shape, const Shape& strides);
inline Indexer indexer(const Tensor& t) { return indexer(t.shape(), t.strides()); }

/// Calls f(T{}) with T the C++ type of a floating dtype; DTypeError otherwise.
template <class F>
void dispatch_floating(DType dtype, F&& f) {
  if (dtype == DType::f32) return f(float{});
  if (dtype == DType::f64) return f(double{});
  throw DTypeError(std::string("cuda backend: a floating dtype expected, got ") + dtype_name(dtype));
}

/// Calls f(T{}) with T the C++ type of any dtype.
template <class F>
void dispatch_all(DType dtype, F&& f) {
  if (dtype == DType::i64) return f(int64_t{});
  dispatch_floating(dtype, static_cast<F&&>(f));
}

template <class T>
T* data(Tensor& t) {
  return static_cast<T*>(t.raw_data());
}
template <class T>
const T* data(const Tensor& t) {
  return static_cast<const T*>(t.raw_data());
}

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
