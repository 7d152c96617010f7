// GEMM throughput through the engine (cz::matmul -> OpenBLAS sgemm) and raw cblas_sgemm, in
// GFLOP/s, at the shapes of Conv4's convolutions (80 images of 28x28, 64 filters).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include "cezanne/tensor/Ops.hpp"

namespace {

// Conv4 layer 2 forward on 80 images: [64 x 576] @ [576 x 80*14*14].
constexpr int64_t kM = 64, kK = 576, kN = 80 * 14 * 14;

void BM_cblas_sgemm(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const cz::Tensor a = cz::Tensor::uniform({m, k}, -1, 1, 1), b = cz::Tensor::uniform({k, n}, -1, 1, 2);
  cz::Tensor c = cz::Tensor::empty({m, n});
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data<float>(), k, b.data<float>(), n,
                0.0f, c.data<float>(), n);
    benchmark::DoNotOptimize(c.data<float>());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_cblas_sgemm)->Args({kM, kK, kN})->Args({512, 512, 512})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_matmul(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const cz::Tensor a = cz::Tensor::uniform({m, k}, -1, 1, 1), b = cz::Tensor::uniform({k, n}, -1, 1, 2);
  for (auto _ : state) benchmark::DoNotOptimize(cz::matmul(a, b));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_matmul)->Args({kM, kK, kN})->Args({512, 512, 512})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
