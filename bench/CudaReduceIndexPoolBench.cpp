// Memory throughput (GB/s of operands read and written) of the CUDA reductions, indexing and
// max-pooling at the shapes of a Conv4 MAML meta-step (meta-batch 32, 5-way 1-shot, 15 queries:
// 80 images per task, 64 filters, 28x28), against the GPU's memory bandwidth. Each iteration
// waits for the stream, so a figure includes one launch's latency. Skips without a GPU.
#include <benchmark/benchmark.h>

#include <functional>

#include "cezanne/backend/Backend.hpp"
#include "cezanne/backend/CudaRuntime.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace {

const cz::Device kGpu = cz::Device::cuda(0);

cz::Tensor gpu_uniform(const cz::Shape& shape, uint64_t seed) {
  return cz::Tensor::uniform(shape, -1, 1, seed).to(kGpu);
}

bool no_gpu(benchmark::State& state) {
  if (cz::cuda::device_count() > 0) return false;
  state.SkipWithError("no CUDA device");
  return true;
}

/// Runs `op` per iteration, waiting for the GPU, and reports `bytes` per iteration as GB/s.
void run(benchmark::State& state, double bytes, const std::function<void()>& op) {
  cz::Backend& backend = cz::backend_for(kGpu);
  op();  // warm the caching allocator
  backend.synchronize(cz::current_stream(kGpu));
  for (auto _ : state) {
    op();
    backend.synchronize(cz::current_stream(kGpu));
  }
  state.counters["GB/s"] =
      benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// The whole loss / a gradient norm: one 2^20-element sum (two passes).
void BM_sum_huge(benchmark::State& state) {
  if (no_gpu(state)) return;
  const cz::Tensor x = gpu_uniform({1 << 20}, 1);
  run(state, 4.0 * (1 << 20), [&] { benchmark::DoNotOptimize(cz::sum(x, {0})); });
}
BENCHMARK(BM_sum_huge)->Unit(benchmark::kMicrosecond)->UseRealTime();

// logsumexp's row sums of [T, Q, ways] logits: 2400 rows of 5 (a thread per row).
void BM_sum_rows_of_logits(benchmark::State& state) {
  if (no_gpu(state)) return;
  const cz::Tensor x = gpu_uniform({32, 75, 5}, 2);
  run(state, 4.0 * 32 * 75 * 6, [&] { benchmark::DoNotOptimize(cz::sum(x, {2})); });
}
BENCHMARK(BM_sum_rows_of_logits)->Unit(benchmark::kMicrosecond)->UseRealTime();

// A per-task conv bias gradient: [T, N, F, H, W] summed over N, H and W (two reduced dims).
void BM_sum_bias_gradient(benchmark::State& state) {
  if (no_gpu(state)) return;
  const cz::Tensor g = gpu_uniform({32, 80, 64, 28, 28}, 3);
  run(state, 4.0 * g.numel(), [&] { benchmark::DoNotOptimize(cz::sum(g, {1, 3, 4})); });
}
BENCHMARK(BM_sum_bias_gradient)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The pooled maxima and their indices, Conv4's first block: [T * N, 64, 28, 28], 2x2.
void BM_max_pool2d(benchmark::State& state) {
  if (no_gpu(state)) return;
  const cz::Tensor x = gpu_uniform({32 * 80, 64, 28, 28}, 4);
  const double bytes = 4.0 * x.numel() + (4.0 + 8.0) * x.numel() / 4;
  run(state, bytes, [&] { benchmark::DoNotOptimize(cz::max_pool2d(x, 2, 2, 0)); });
}
BENCHMARK(BM_max_pool2d)->Unit(benchmark::kMicrosecond)->UseRealTime();

// max_pool2d's gradient: scatter_add of the pooled gradient at the indices into the planes
// (a warp per plane), including the zeros of the output.
void BM_scatter_add_pool_gradient(benchmark::State& state) {
  if (no_gpu(state)) return;
  const int64_t planes = 32 * 80 * 64;
  const cz::Tensor x = gpu_uniform({planes, 28, 28}, 5);
  const cz::MaxPoolResult pooled = cz::max_pool2d(x, 2, 2, 0);
  const cz::Tensor index = pooled.indices.reshape({planes, 196}), g = gpu_uniform({planes, 196}, 6);
  const double bytes = planes * (196.0 * (8 + 4) + 784.0 * 4 * 2);
  run(state, bytes, [&] { benchmark::DoNotOptimize(cz::scatter_add({planes, 784}, 1, index, g)); });
}
BENCHMARK(BM_scatter_add_pool_gradient)->Unit(benchmark::kMicrosecond)->UseRealTime();

// cross_entropy's pick of the label's log-probability: gather along ways.
void BM_gather_labels(benchmark::State& state) {
  if (no_gpu(state)) return;
  const cz::Tensor logp = gpu_uniform({32, 75, 5}, 7);
  const cz::Tensor labels = cz::Tensor::zeros({32, 75, 1}, cz::DType::i64).to(kGpu);
  run(state, 32 * 75 * (8.0 + 4 + 4), [&] { benchmark::DoNotOptimize(cz::gather(logp, 2, labels)); });
}
BENCHMARK(BM_gather_labels)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
