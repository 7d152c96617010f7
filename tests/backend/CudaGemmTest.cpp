// CudaGemmTest.cpp — the CUDA backend's gemm against the CPU's on the raw GemmBatch interface:
// every trans combination, leading dimensions wider than the rows, shared operands (batch stride
// 0), odd sizes, k = 0, empty batches, a batch beyond one cuBLAS call, TF32 behind its switch,
// the same bits on every run (GPU only; the TF32 switch's default runs everywhere).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "cezanne/backend/Backend.hpp"
#include "cezanne/backend/CudaRuntime.hpp"
#include "cezanne/backend/Tf32.hpp"

namespace {

using cz::Device;
using cz::DType;
using cz::GemmBatch;
using cz::Tensor;

constexpr double kUntouched = 7.0;  // C's padding (ldc > n) and, for no-ops, all of C

// The operands of one GemmBatch in host buffers, with their shapes and leading dimensions.
struct Problem {
  GemmBatch g;  // pointers unset
  std::vector<double> a, b, c;
};

// A problem whose stored matrices have `pad` extra elements per row; stride 0 shares an operand.
Problem make_problem(int64_t batch, int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b,
                     bool shared_a, bool shared_b, int64_t pad, uint64_t seed) {
  Problem p;
  GemmBatch& g = p.g;
  g.batch = batch, g.m = m, g.n = n, g.k = k, g.trans_a = trans_a, g.trans_b = trans_b;
  // Stored row-major: A is [m, k] (or [k, m] when transposed), B [k, n] (or [n, k]), C [m, n].
  const int64_t a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
  const int64_t b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
  g.lda = a_cols + pad, g.ldb = b_cols + pad, g.ldc = n + pad;
  g.stride_a = shared_a ? 0 : a_rows * g.lda;
  g.stride_b = shared_b ? 0 : b_rows * g.ldb;
  g.stride_c = m * g.ldc;
  const auto random = [&](int64_t size, uint64_t s) {
    return Tensor::uniform({std::max<int64_t>(size, 1)}, -1.0, 1.0, s, 0, DType::f64).to_vector();
  };
  p.a = random((shared_a ? 1 : batch) * a_rows * g.lda, seed);
  p.b = random((shared_b ? 1 : batch) * b_rows * g.ldb, seed + 1);
  p.c.assign(static_cast<size_t>(std::max<int64_t>(batch * g.stride_c, 1)), kUntouched);
  return p;
}

// C after running `p` on `device` (the operands copied there and back).
std::vector<double> run(const Problem& p, DType dtype, Device device) {
  auto on = [&](const std::vector<double>& v) {
    return Tensor::from(v, {static_cast<int64_t>(v.size())}, dtype).to(device);
  };
  const Tensor a = on(p.a), b = on(p.b);
  Tensor c = on(p.c);
  GemmBatch g = p.g;
  g.a = a.raw_data(), g.b = b.raw_data(), g.c = c.raw_data();
  cz::backend_for(device).gemm(dtype, g);
  return c.to(Device::cpu()).to_vector();
}

// Sum over k of |op(A)[i, l]| |op(B)[l, j]|: the scale of C[i, j]'s rounding error.
double magnitude(const Problem& p, int64_t batch, int64_t i, int64_t j) {
  const GemmBatch& g = p.g;
  double sum = 0;
  for (int64_t l = 0; l < g.k; ++l) {
    const double a =
        p.a[static_cast<size_t>(batch * g.stride_a + (g.trans_a ? l * g.lda + i : i * g.lda + l))];
    const double b =
        p.b[static_cast<size_t>(batch * g.stride_b + (g.trans_b ? j * g.ldb + l : l * g.ldb + j))];
    sum += std::abs(a * b);
  }
  return sum;
}

// The GPU's C equals the CPU's within `tolerance` x magnitude, and C's padding is untouched.
void expect_like_cpu(const Problem& p, DType dtype, double tolerance, const std::string& what) {
  const std::vector<double> cpu = run(p, dtype, Device::cpu()),
                            gpu = run(p, dtype, Device::cuda(0));
  const GemmBatch& g = p.g;
  for (int64_t s = 0; s < g.batch; ++s)
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.ldc; ++j) {
        const size_t at = static_cast<size_t>(s * g.stride_c + i * g.ldc + j);
        if (j >= g.n) {
          ASSERT_EQ(gpu[at], kUntouched)
              << what << ": padding of C written at batch " << s << " (" << i << ", " << j << ")";
          continue;
        }
        ASSERT_NEAR(gpu[at], cpu[at], tolerance * magnitude(p, s, i, j) + 1e-300)
            << what << " at batch " << s << " (" << i << ", " << j << ")";
      }
}

struct Sizes {
  int64_t batch, m, n, k;
};

TEST(CudaGemm, TF32IsOffUntilAllowed) {
  EXPECT_FALSE(cz::tf32());
  cz::set_tf32(true);
  EXPECT_TRUE(cz::tf32());
  cz::set_tf32(false);
  EXPECT_FALSE(cz::tf32());
}

TEST(CudaGemm, EveryLayoutEqualsTheCpus) {
  if (cz::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  uint64_t seed = 1;
  for (const DType dtype : {DType::f64, DType::f32})
    for (const Sizes& s : {Sizes{3, 7, 5, 3}, Sizes{2, 33, 17, 65}, Sizes{4, 1, 9, 4},
                           Sizes{3, 6, 1, 2}, Sizes{1, 64, 48, 129}, Sizes{5, 1, 1, 1}})
      for (const bool trans_a : {false, true})
        for (const bool trans_b : {false, true})
          for (const int shared : {0, 1, 2})  // none, A, B
            for (const int64_t pad : {0, 3}) {
              const Problem p = make_problem(s.batch, s.m, s.n, s.k, trans_a, trans_b, shared == 1,
                                             shared == 2, pad, seed += 2);
              const std::string what = std::string(cz::dtype_name(dtype)) + " batch " +
                                       std::to_string(s.batch) + " m " + std::to_string(s.m) +
                                       " n " + std::to_string(s.n) + " k " + std::to_string(s.k) +
                                       (trans_a ? " A^T" : "") + (trans_b ? " B^T" : "") +
                                       (shared == 1   ? " shared A"
                                        : shared == 2 ? " shared B"
                                                      : "") +
                                       " pad " + std::to_string(pad);
              expect_like_cpu(p, dtype, dtype == DType::f64 ? 1e-13 : 1e-5, what);
            }
}

TEST(CudaGemm, EmptySumWritesZerosAndEmptyProductsNothing) {
  if (cz::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (const DType dtype : {DType::f32, DType::f64}) {
    // k = 0: every element of C is 0, its padding untouched (as the CPU's BLAS).
    const Problem empty_sum = make_problem(3, 4, 5, 0, false, true, false, false, 2, 7);
    const std::vector<double> cpu = run(empty_sum, dtype, Device::cpu());
    const std::vector<double> gpu = run(empty_sum, dtype, Device::cuda(0));
    EXPECT_EQ(gpu, cpu);
    EXPECT_EQ(std::count(gpu.begin(), gpu.end(), 0.0), 3 * 4 * 5);
    // batch 0, m 0 or n 0: C untouched.
    for (const Sizes& s : {Sizes{0, 4, 5, 3}, Sizes{2, 0, 5, 3}, Sizes{2, 4, 0, 3}}) {
      Problem p = make_problem(2, 4, 5, 3, false, false, false, false, 0, 9);
      p.g.batch = s.batch, p.g.m = s.m, p.g.n = s.n;
      const std::vector<double> c = run(p, dtype, Device::cuda(0));
      EXPECT_TRUE(std::all_of(c.begin(), c.end(), [](double v) { return v == kUntouched; }))
          << "batch " << s.batch << " m " << s.m << " n " << s.n;
    }
  }
}

// More products than one cuBLAS call takes (65535): the later calls start at the right offsets.
TEST(CudaGemm, BatchBeyondOneCallEqualsTheCpus) {
  if (cz::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Problem p = make_problem(65535 + 70, 2, 3, 4, false, true, true, false, 1, 11);
  expect_like_cpu(p, DType::f32, 1e-6, "batch 65605, shared A");
}

// The same call gives the same bits every time (the deterministic reductions).
TEST(CudaGemm, SameBitsOnEveryRun) {
  if (cz::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Problem p = make_problem(8, 96, 80, 1000, true, false, false, false, 0, 13);
  const std::vector<double> first = run(p, DType::f32, Device::cuda(0));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run(p, DType::f32, Device::cuda(0)), first);
}

// f32 stays within f32 rounding of the f64 product unless TF32 is allowed; with it, within
// TF32's (10-bit mantissa inputs: about 1e-3 of the magnitude). f64 ignores the switch.
TEST(CudaGemm, TF32OnlyWhenAllowed) {
  if (cz::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Problem p = make_problem(2, 128, 96, 256, false, false, false, false, 0, 17);
  const std::vector<double> exact = run(p, DType::f64, Device::cpu());
  auto max_error = [&](const std::vector<double>& c) {
    double worst = 0;
    for (int64_t s = 0; s < p.g.batch; ++s)
      for (int64_t i = 0; i < p.g.m; ++i)
        for (int64_t j = 0; j < p.g.n; ++j) {
          const size_t at = static_cast<size_t>(s * p.g.stride_c + i * p.g.ldc + j);
          worst = std::max(worst, std::abs(c[at] - exact[at]) / magnitude(p, s, i, j));
        }
    return worst;
  };
  const double f32 = max_error(run(p, DType::f32, Device::cuda(0)));
  cz::set_tf32(true);
  const double tf32 = max_error(run(p, DType::f32, Device::cuda(0)));
  const std::vector<double> f64 = run(p, DType::f64, Device::cuda(0));
  cz::set_tf32(false);
  EXPECT_LT(f32, 1e-5);
  EXPECT_LT(tf32, 4e-3);
  EXPECT_LT(max_error(f64), 1e-13);
  std::cout << "max error / magnitude: f32 " << f32 << ", tf32 allowed " << tf32 << "\n";
}

}  // namespace
