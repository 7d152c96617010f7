// One view of a batch of 256 28x28 images (a contrastive step's batch) with the default
// augmentations, on 1 thread and on all (argument: threads, 0 = all).
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

#include "cezanne/data/Augment.hpp"

namespace {

void BM_augment(benchmark::State& state) {
  const cz::Tensor images = cz::Tensor::uniform({256, 1, 28, 28}, 0, 1, 1);
  std::vector<int64_t> keys(256);
  std::iota(keys.begin(), keys.end(), 0);
  const cz::data::AugmentSpec spec;
  int64_t step = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(cz::data::augment(images, spec, 0, step++, keys, 0, static_cast<int>(state.range(0))));
  state.SetItemsProcessed(state.iterations() * 256);
}
BENCHMARK(BM_augment)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

}  // namespace
