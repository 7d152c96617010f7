// The interface every compute backend implements (CPU, the checking device, CUDA): memory
// and kernels on preallocated outputs, grouped by op family. The tensor ops in tensor/Ops.hpp
// check shapes and dtypes, allocate, and dispatch here; a backend never sees autograd.
//
// Each family has primitives (pure virtual) and kernels with a default composite of the
// primitives (src/backend/composite/<Family>.cpp), so a new backend needs only the primitives
// and fuses what its measurements ask for. Kernels run on the calling thread's current stream of
// the backend's device (backend/Stream.hpp).
#pragma once

#include <string>
#include <vector>

#include "cezanne/backend/CachingAllocator.hpp"
#include "cezanne/backend/Stream.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/tensor/Tensor.hpp"

namespace cz {

/// One batched GEMM: out[b] = op(a[b]) @ op(b[b]), with per-operand batch strides (0 = shared).
struct GemmBatch {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  const void* a = nullptr;
  const void* b = nullptr;
  void* c = nullptr;
  int64_t lda = 0, ldb = 0, ldc = 0;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
};

class Backend {
 public:
  /// `allocate` and `free` are the device's own allocator, behind the cache.
  Backend(CachingAllocator::DeviceAllocate allocate, CachingAllocator::DeviceFree free);
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  virtual Device device() const = 0;

  // ---- memory: tensor storage comes from the caching allocator in front of the device's own.
  void* allocate(size_t bytes) { return allocator_.allocate(bytes); }
  void deallocate(void* ptr, size_t bytes) { allocator_.deallocate(ptr, bytes); }
  CachingAllocator& allocator() { return allocator_; }
  /// Copies between any two devices where one is this backend's (host pointers are plain).
  virtual void memcpy(void* dst, const void* src, size_t bytes, Device dst_device, Device src_device) = 0;
  /// Waits for the work issued to `stream`.
  virtual void synchronize(const Stream& stream) = 0;

  // ---- element-wise. Inputs are already broadcast to out's shape (stride 0 where expanded);
  // out is contiguous; dtypes agree except where stated.
  virtual void copy(const Tensor& src, Tensor& out) = 0;  // any dtype -> out's dtype
  virtual void fill(Tensor& out, double value) = 0;
  virtual void unary(UnaryOp op, const Tensor& x, Tensor& out) = 0;
  virtual void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) = 0;
  virtual void where(const Tensor& condition, const Tensor& a, const Tensor& b, Tensor& out) = 0;
  virtual void affine(const Tensor& x, double scale, double shift, Tensor& out);
  virtual void pow_scalar(const Tensor& x, double exponent, Tensor& out);
  virtual void clamp(const Tensor& x, double low, double high, Tensor& out);
  virtual void in_range_mask(const Tensor& x, double low, double high, Tensor& out);

  // ---- reductions: x over the dims where out (same rank, keepdim layout) has size 1.
  virtual void reduce(ReduceOp op, const Tensor& x, Tensor& out, Tensor* indices) = 0;

  // ---- GEMM
  virtual void gemm(DType dtype, const GemmBatch& g) = 0;

  // ---- convolution, with a leading batch of weight sets: x [B, N, C, H, W], weight
  // [B, F, C, kh, kw], grad_out / out [B, N, F, Ho, Wo] (B = 1 without a task axis); all
  // contiguous. The defaults are im2col + batched GEMM.
  virtual void unfold(const Tensor& x, int64_t kh, int64_t kw, int64_t stride, int64_t padding, Tensor& cols) = 0;
  virtual void fold(const Tensor& cols, int64_t kh, int64_t kw, int64_t stride, int64_t padding, Tensor& out) = 0;
  virtual void conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, int64_t stride, int64_t padding,
                      Tensor& out);
  virtual void conv2d_input_grad(const Tensor& grad_out, const Tensor& weight, int64_t stride, int64_t padding,
                                 Tensor& grad_x);
  virtual void conv2d_weight_grad(const Tensor& x, const Tensor& grad_out, int64_t stride, int64_t padding,
                                  Tensor& grad_weight);

  // ---- normalization: batch norm with batch statistics, x [B, N, C, P] contiguous (B weight
  // sets: tasks), statistics per (b, c) over N and P; gamma, beta, mean, var (biased) [B, C].
  virtual void batch_norm(const Tensor& x, const Tensor* gamma, const Tensor* beta, double eps, Tensor& y,
                          Tensor& mean, Tensor& var);
  virtual void batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor* gamma, const Tensor& mean,
                                   const Tensor& var, double eps, Tensor& grad_x, Tensor& grad_gamma,
                                   Tensor& grad_beta);
  // Batch norm, then a 2x2, stride-2 max-pool of its output (Conv4's block): x [B, N, C, H, W]
  // contiguous; y and indices [B, N, C, H/2, W/2] as max_pool2d of batch_norm's y would give
  // them; mean, var [B, C]. A fused kernel never writes the normalized tensor.
  virtual void batch_norm_max_pool2d(const Tensor& x, const Tensor* gamma, const Tensor* beta, double eps,
                                     Tensor& y, Tensor& indices, Tensor& mean, Tensor& var);
  // Its first-order gradients from the pooled output's gradient grad_y [B, N, C, H/2, W/2] (the
  // normalized output's gradient is grad_y at `indices`, zero elsewhere).
  virtual void batch_norm_max_pool2d_backward(const Tensor& grad_y, const Tensor& indices, const Tensor& x,
                                              const Tensor* gamma, const Tensor& mean, const Tensor& var,
                                              double eps, Tensor& grad_x, Tensor& grad_gamma, Tensor& grad_beta);

  // ---- pooling: window maxima over the last two dims and their indices in the [H*W] plane
  // (first maximum; a window holding NaN gives its first NaN).
  virtual void max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding, Tensor& values,
                          Tensor& indices) = 0;

  // ---- indexing (i64 indices, contiguous operands)
  virtual void gather(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) = 0;
  virtual void scatter_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) = 0;
  virtual void index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out);
  virtual void index_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out);

  // ---- random: element i is a pure function of (seed, counter + i), the same numbers on every
  // backend.
  virtual void random(bool normal, double a, double b, uint64_t seed, uint64_t counter, Tensor& out) = 0;
  virtual void dropout_mask(double p, uint64_t seed, uint64_t counter, Tensor& out);

  // ---- optimizer updates on contiguous ranges of one shape, in place
  virtual void adam_update(const AdamStep& s, Tensor& p, const Tensor& g, Tensor& m, Tensor& v);
  virtual void sgd_update(const SgdStep& s, Tensor& p, const Tensor& g, Tensor& buffer);

 private:
  CachingAllocator allocator_;
};

/// The backend that owns `device`; throws DeviceError naming the device when this build or this
/// machine has none for it (a CUDA device in a build without CUDA, or beyond the machine's GPUs).
Backend& backend_for(Device device);

/// Threads used by CPU kernels (OpenMP) and BLAS.
void set_num_threads(int threads);
/// Kernels called from the calling thread from now on run on it alone, without a team of
/// OpenMP threads of their own (other threads keep their setting): for helper threads, such as
/// the prefetcher's, whose teams would compete with the compute threads for the cores.
void run_kernels_on_this_thread_only();
int num_threads();
/// The BLAS library's own description of its build (OpenBLAS: openblas_get_config()), "" when
/// it has none.
std::string blas_config();

}  // namespace cz
