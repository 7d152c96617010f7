// CPU GEMM through CBLAS (OpenBLAS), one call per batch entry.
#include <cblas.h>

#include "CpuBackend.hpp"

namespace cz::cpu {

void CpuBackend::gemm(DType dtype, const GemmBatch& g) {
  const CBLAS_TRANSPOSE ta = g.trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = g.trans_b ? CblasTrans : CblasNoTrans;
  for (int64_t i = 0; i < g.batch; ++i) {
    if (dtype == DType::f32) {
      cblas_sgemm(CblasRowMajor, ta, tb, g.m, g.n, g.k, 1.0f, static_cast<const float*>(g.a) + i * g.stride_a, g.lda,
                  static_cast<const float*>(g.b) + i * g.stride_b, g.ldb, 0.0f,
                  static_cast<float*>(g.c) + i * g.stride_c, g.ldc);
    } else if (dtype == DType::f64) {
      cblas_dgemm(CblasRowMajor, ta, tb, g.m, g.n, g.k, 1.0, static_cast<const double*>(g.a) + i * g.stride_a, g.lda,
                  static_cast<const double*>(g.b) + i * g.stride_b, g.ldb, 0.0,
                  static_cast<double*>(g.c) + i * g.stride_c, g.ldc);
    } else {
      throw DTypeError(std::string("matmul: floating dtype expected, got ") + dtype_name(dtype));
    }
  }
}

}  // namespace cz::cpu
