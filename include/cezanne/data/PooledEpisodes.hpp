// N-way K-shot episodes whose classes are pools of store examples: the pseudo-classes of k-means
// partitions (CACTUs), or the classes of a store split by example (Fashion-MNIST's test part).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cezanne/data/Episode.hpp"
#include "cezanne/data/EpisodeSource.hpp"
#include "cezanne/data/ExampleRef.hpp"
#include "cezanne/data/Store.hpp"

namespace cz::data {

/// Pools: partition -> pool (a pseudo-class) -> its examples.
using Partitions = std::vector<std::vector<std::vector<ExampleRef>>>;

/// Draws episodes from `partitions`: task `i` of step `s` is a pure function of (seed, s, i)
/// through a CounterRng keyed by mix_key({seed, kPooledStream, s, i}): a uniform partition, then
/// `ways` distinct pools among its pools of at least shots+queries examples (their draw order is
/// the label order: a fresh assignment per episode), then shots+queries distinct examples of
/// each pool, support first. Episode::classes holds the pools' indices within the partition.
/// Images as EpisodeSampler makes them (data::detail::convert_image). within_domain and rotations
/// are not offered. Const methods are thread-safe (the store's class cache is).
class PooledEpisodes final : public EpisodeSource {
 public:
  /// Throws std::invalid_argument naming `what` (the option or data the pools come from) when
  /// there are no partitions, ways, shots < 1 or queries < 0, or a partition has fewer than
  /// `ways` pools of at least shots+queries examples.
  PooledEpisodes(std::shared_ptr<Store> store, Partitions partitions, EpisodeSpec spec, uint64_t seed,
                 const std::string& what);

  Episode sample(int64_t step, int64_t task_index) const override;
  EpisodeBatch sample_batch(int64_t step, const std::vector<int64_t>& task_indices) const override;

  const EpisodeSpec& spec() const { return spec_; }
  const Partitions& partitions() const { return partitions_; }

 private:
  // One task's images and labels into the buffers; returns the chosen pools in label order.
  std::vector<int64_t> fill(int64_t step, int64_t task_index, float* support, int64_t* support_labels, float* query,
                            int64_t* query_labels) const;

  std::shared_ptr<Store> store_;
  Partitions partitions_;
  EpisodeSpec spec_;
  uint64_t seed_;
  int64_t height_ = 0, width_ = 0, channels_ = 0;
  std::vector<std::vector<int64_t>> eligible_;  // per partition: its pools with shots+queries examples
};

}  // namespace cz::data
