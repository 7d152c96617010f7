// CUDA GEMM through cuBLAS: a whole GemmBatch in one strided-batched call, so the task axis
// (every task's product) is one launch and a shared operand (batch stride 0) is never copied.
//
// cuBLAS is column-major: a row-major matrix with leading dimension ld is, to cuBLAS, its
// transpose with the same ld. So the row-major C = op(A) op(B) is computed as the column-major
// C^T = op(B)^T op(A)^T: the operands swap places, m and n swap, and the trans flags and leading
// dimensions carry over unchanged.
#include <algorithm>
#include <type_traits>

#include "CudaBackend.cuh"
#include "cezanne/backend/Tf32.hpp"

namespace cz::cuda {

namespace {

// c[b] = 0 for b < batch: m rows of n elements, row stride ldc, matrix stride stride_c (k = 0).
template <class T>
__global__ void zero_products(T* c, int64_t batch, int64_t m, int64_t n, int64_t ldc,
                              int64_t stride_c) {
  CZ_CUDA_LOOP(i, batch * m * n) {
    const int64_t col = i % n, row = (i / n) % m, b = i / (m * n);
    c[b * stride_c + row * ldc + col] = T(0);
  }
}

// Products per cuBLAS call: keeps the batch within the 65535 of a grid's y and z dimensions,
// whichever of them the library's kernel puts it in.
constexpr int64_t kMaxBatchPerCall = 65535;

}  // namespace

void CudaBackend::gemm(DType dtype, const GemmBatch& g) {
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* c = static_cast<T*>(g.c);
    if (g.k == 0) {
      // An empty sum: zeros, as the CPU's BLAS writes them (beta = 0), without relying on how
      // cuBLAS treats k = 0.
      zero_products<T><<<blocks_for(g.batch * g.m * g.n), kThreads, 0, stream()>>>(
          c, g.batch, g.m, g.n, g.ldc, g.stride_c);
      CZ_CHECK_CUDA_LAUNCH();
      return;
    }
    constexpr bool single = std::is_same_v<T, float>;
    const cudaDataType type = single ? CUDA_R_32F : CUDA_R_64F;
    // f32 accumulates in f32 with f32 inputs unless TF32 is allowed (the --tf32 option).
    const cublasComputeType_t compute =
        !single ? CUBLAS_COMPUTE_64F : (tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F);
    const T one = 1, zero = 0;
    const T* a = static_cast<const T*>(g.a);
    const T* b = static_cast<const T*>(g.b);
    cublasHandle_t handle = blas();
    for (int64_t first = 0; first < g.batch; first += kMaxBatchPerCall) {
      const int64_t count = std::min(kMaxBatchPerCall, g.batch - first);
      CZ_CHECK_CUBLAS(cublasGemmStridedBatchedEx_64(
          handle, g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, g.n,
          g.m, g.k, &one, b + first * g.stride_b, type, g.ldb, g.stride_b, a + first * g.stride_a,
          type, g.lda, g.stride_a, &zero, c + first * g.stride_c, type, g.ldc, g.stride_c, count,
          compute, CUBLAS_GEMM_DEFAULT));
    }
  });
}

}  // namespace cz::cuda
