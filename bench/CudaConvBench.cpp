// Convolution on a CUDA device, in GFLOP/s: Conv4's four layers forward + backward with the task
// axis (B weight sets, one per task, 80 images each) through the interface's composites (unfold
// or fold and one strided-batched GEMM for all B), against the batched sgemm of layer 2's forward
// alone. Their ratio is what im2col, col2im, the permuting copies and the bias cost on top of
// cuBLAS: the measurement that decides whether an implicit-GEMM kernel or cuDNN would pay
// (docs/engine.md). The second argument allows TF32 (--tf32 on). Skipped without a device.
#include <benchmark/benchmark.h>

#include <utility>
#include <vector>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/backend/Backend.hpp"
#include "cezanne/backend/CudaRuntime.hpp"
#include "cezanne/backend/Tf32.hpp"

namespace {

const cz::Device kGpu = cz::Device::cuda(0);
constexpr int64_t kImages = 80, kFilters = 64, kKernel = 3;  // per task: 5-way, 1 shot + 15 queries

// Kernels run asynchronously: an iteration ends when the GPU has finished its work.
void wait_for_gpu() { cz::backend_for(kGpu).synchronize(cz::current_stream(kGpu)); }

bool skipped_without_device(benchmark::State& state) {
  if (cz::cuda::device_count() > 0) return false;
  state.SkipWithError("no CUDA device");
  return true;
}

// TF32 allowed while the benchmark runs when `on`.
struct Tf32Scope {
  explicit Tf32Scope(bool on) { cz::set_tf32(on); }
  ~Tf32Scope() { cz::set_tf32(false); }
  Tf32Scope(const Tf32Scope&) = delete;
  Tf32Scope& operator=(const Tf32Scope&) = delete;
};

void set_rate(benchmark::State& state, double flops) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// Layer 2's forward GEMM as the composite issues it: [B, 64, 576] @ [B, 576, 80*14*14].
void BM_cuda_sgemm_tasks(benchmark::State& state) {
  if (skipped_without_device(state)) return;
  const int64_t B = state.range(0), m = kFilters, k = 64 * kKernel * kKernel, n = kImages * 14 * 14;
  const Tf32Scope tf32(state.range(1) != 0);
  const cz::Tensor a = cz::Tensor::uniform({B, m, k}, -1, 1, 1, 0, cz::DType::f32, kGpu);
  const cz::Tensor b = cz::Tensor::uniform({B, k, n}, -1, 1, 2, 0, cz::DType::f32, kGpu);
  for (auto _ : state) {
    benchmark::DoNotOptimize(cz::matmul(a, b).raw_data());
    wait_for_gpu();
  }
  set_rate(state, 2.0 * B * m * n * k);
}
BENCHMARK(BM_cuda_sgemm_tasks)
    ->ArgsProduct({{1, 8, 32}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Conv4's four layers (C, H) = (1, 28), (64, 14), (64, 7), (64, 3), each forward + backward
// (input, weight and bias gradients), with B tasks' weights.
void BM_cuda_conv4_stack_tasks(benchmark::State& state) {
  if (skipped_without_device(state)) return;
  const int64_t B = state.range(0);
  const Tf32Scope tf32(state.range(1) != 0);
  struct Layer {
    cz::Var x, w, b, seed;
  };
  std::vector<Layer> layers;
  double flops = 0;
  uint64_t counter = 0;
  for (auto [C, H] : {std::pair<int64_t, int64_t>{1, 28}, {64, 14}, {64, 7}, {64, 3}}) {
    const auto uniform = [&](const cz::Shape& shape) {
      return cz::Tensor::uniform(shape, -1, 1, 1, counter++ << 32, cz::DType::f32, kGpu);
    };
    layers.push_back(
        {cz::Var(uniform({B, kImages, C, H, H}), true),
         cz::Var(uniform({B, kFilters, C, kKernel, kKernel}), true),
         cz::Var(cz::Tensor::zeros({B, kFilters}, cz::DType::f32, kGpu), true),
         cz::Var(cz::Tensor::ones({B, kImages, kFilters, H, H}, cz::DType::f32, kGpu))});
    flops += 3.0 * 2.0 * B * kFilters * C * kKernel * kKernel * kImages * H * H;  // 3 GEMMs
  }
  for (auto _ : state) {
    for (const Layer& l : layers) {
      const std::vector<cz::Var> g =
          cz::grad({cz::conv2d(l.x, l.w, l.b, 1, 1)}, {l.x, l.w, l.b}, {l.seed});
      benchmark::DoNotOptimize(g[0].data().raw_data());
    }
    wait_for_gpu();
  }
  set_rate(state, flops);
}
BENCHMARK(BM_cuda_conv4_stack_tasks)
    ->ArgsProduct({{1, 8, 32}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
