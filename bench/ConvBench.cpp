// conv2d forward + backward (input, weight and bias gradients) at Conv4's shapes, in GFLOP/s
// counted as 3 GEMMs of 2*F*C*k*k*N*Ho*Wo each (forward, grad input, grad weight).
#include <benchmark/benchmark.h>

#include <utility>
#include <vector>

#include "cezanne/autograd/Ops.hpp"

namespace {

void BM_conv2d_forward_backward(benchmark::State& state) {
  const int64_t N = 80, C = state.range(0), H = state.range(1), F = 64, k = 3;
  const cz::Var x(cz::Tensor::uniform({N, C, H, H}, -1, 1, 1), true);
  const cz::Var w(cz::Tensor::uniform({F, C, k, k}, -1, 1, 2), true);
  const cz::Var b(cz::Tensor::zeros({F}), true);
  const cz::Var seed(cz::Tensor::ones({N, F, H, H}));
  for (auto _ : state) {
    const cz::Var y = cz::conv2d(x, w, b, 1, 1);
    const std::vector<cz::Var> g = cz::grad({y}, {x, w, b}, {seed});
    benchmark::DoNotOptimize(g[0].data().raw_data());
  }
  const double flops = 3.0 * 2.0 * F * C * k * k * N * H * H;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
// Conv4's four layers on 28x28 inputs: (C, H) = (1, 28), (64, 14), (64, 7), (64, 3).
BENCHMARK(BM_conv2d_forward_backward)
    ->Args({1, 28})
    ->Args({64, 14})
    ->Args({64, 7})
    ->Args({64, 3})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// All four Conv4 layers forward + backward in one iteration (4.7 GFLOP): the figure compared
// with sgemm by bench/conv-vs-sgemm.sh.
void BM_conv4_stack_forward_backward(benchmark::State& state) {
  struct Layer {
    cz::Var x, w, b, seed;
  };
  std::vector<Layer> layers;
  double flops = 0;
  const int64_t N = 80, F = 64, k = 3;
  for (auto [C, H] : {std::pair<int64_t, int64_t>{1, 28}, {64, 14}, {64, 7}, {64, 3}}) {
    layers.push_back({cz::Var(cz::Tensor::uniform({N, C, H, H}, -1, 1, 1), true),
                      cz::Var(cz::Tensor::uniform({F, C, k, k}, -1, 1, 2), true), cz::Var(cz::Tensor::zeros({F}), true),
                      cz::Var(cz::Tensor::ones({N, F, H, H}))});
    flops += 3.0 * 2.0 * F * C * k * k * N * H * H;
  }
  for (auto _ : state)
    for (const Layer& l : layers) {
      const std::vector<cz::Var> g = cz::grad({cz::conv2d(l.x, l.w, l.b, 1, 1)}, {l.x, l.w, l.b}, {l.seed});
      benchmark::DoNotOptimize(g[0].data().raw_data());
    }
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_conv4_stack_forward_backward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_conv2d_forward(benchmark::State& state) {
  const int64_t N = 80, C = state.range(0), H = state.range(1), F = 64, k = 3;
  const cz::Var x(cz::Tensor::uniform({N, C, H, H}, -1, 1, 1));
  const cz::Var w(cz::Tensor::uniform({F, C, k, k}, -1, 1, 2));
  for (auto _ : state) benchmark::DoNotOptimize(cz::conv2d(x, w, cz::Var(), 1, 1).data().raw_data());
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * F * C * k * k * N * H * H,
                                                 benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_conv2d_forward)->Args({1, 28})->Args({64, 14})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
