// CPU GEMM through CBLAS (OpenBLAS), one call per batch entry.
#include "Blas.hpp"
#include "CpuBackend.hpp"
#include "Strided.hpp"

namespace cz::cpu {

void CpuBackend::gemm(DType dtype, const GemmBatch& g) {
  dispatch_floating(dtype, [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    for (int64_t i = 0; i < g.batch; ++i)
      blas_gemm(g.trans_a, g.trans_b, g.m, g.n, g.k, static_cast<const T*>(g.a) + i * g.stride_a, g.lda,
                static_cast<const T*>(g.b) + i * g.stride_b, g.ldb, T(0), static_cast<T*>(g.c) + i * g.stride_c, g.ldc);
  });
}

}  // namespace cz::cpu
