// A linear probe's step against one forward pass of the body and a full fine-tuning step: the
// target of transfer learning (one task, Conv4 64 filters, multi_head), 2 rows of 32 images.
#include <benchmark/benchmark.h>

#include <vector>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/MultiTaskObjective.hpp"
#include "cezanne/nn/Params.hpp"

namespace {

struct Target {
  cz::learn::MultiTaskObjective objective{[] {
    cz::nn::TaskNetSpec net;
    net.filters = 64;
    net.num_tasks = 1;
    net.outputs = 60;
    return net;
  }(), {60}, false};
  cz::nn::Params params{objective.specs()};
  cz::data::TaskBatch batch;

  Target() {
    params.initialize(0);
    batch.inputs = cz::Tensor::uniform({2, 32, 1, 28, 28}, 0, 1, 1);
    std::vector<int64_t> labels;
    for (int64_t i = 0; i < 64; ++i) labels.push_back(i % 60);
    batch.labels = cz::Tensor::from_i64(labels, {2, 32});
    batch.tasks = {0, 0};
  }
  // The body frozen (a linear probe) or not (full fine-tuning).
  void freeze_body(bool frozen) {
    for (size_t i = 0; i < params.size(); ++i)
      if (params.name(i).rfind("block", 0) == 0) cz::Var(params[i]).set_requires_grad(!frozen);
  }
};

void BM_body_forward(benchmark::State& state) {
  Target t;
  cz::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(t.objective.logits(t.params.list(), t.batch).data().raw_data());
}
BENCHMARK(BM_body_forward)->Unit(benchmark::kMillisecond)->UseRealTime();

void step(benchmark::State& state, bool linear_probe) {
  Target t;
  t.freeze_body(linear_probe);
  for (auto _ : state) {
    t.params.zero_grad();
    cz::sum(t.objective.losses(t.params.list(), t.batch).losses).backward();
    benchmark::DoNotOptimize(t.params.flat_grad().raw_data());
  }
}
void BM_linear_probe_step(benchmark::State& state) { step(state, true); }
void BM_full_step(benchmark::State& state) { step(state, false); }
BENCHMARK(BM_linear_probe_step)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_full_step)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
