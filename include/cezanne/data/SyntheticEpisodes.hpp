// SyntheticEpisodes: N-way K-shot episodes of random images, the tasks of `bench step`.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "cezanne/data/EpisodeSource.hpp"

namespace cz::data {

/// What a synthetic episode holds: `ways` classes of `shots` support and `queries` query images
/// of [channels, image, image] each.
struct SyntheticSpec {
  int64_t ways = 5, shots = 1, queries = 15, channels = 1, image = 28;
};

/// Task i's images are uniform in [0, 1), a pure function of (seed, i) and not of the step, with
/// labels class-major (support 0..0 1..1 ..., likewise the query). A benchmark measures the step,
/// not the drawing of random images: the batch of a list of tasks is made once and kept.
class SyntheticEpisodes final : public EpisodeSource {
 public:
  /// Throws std::invalid_argument when a size is < 1 (queries < 0).
  SyntheticEpisodes(SyntheticSpec spec, uint64_t seed);
  Episode sample(int64_t step, int64_t task_index) const override;
  EpisodeBatch sample_batch(int64_t step, const std::vector<int64_t>& task_indices) const override;

 private:
  SyntheticSpec spec_;
  uint64_t seed_;
  mutable std::mutex mutex_;
  mutable std::map<std::vector<int64_t>, EpisodeBatch> made_;
};

}  // namespace cz::data
