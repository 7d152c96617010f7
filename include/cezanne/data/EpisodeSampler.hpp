// N-way K-shot Q-query episodes drawn as a pure function of (seed, split, step, task index).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cezanne/data/Episode.hpp"
#include "cezanne/data/EpisodeSource.hpp"
#include "cezanne/data/Split.hpp"
#include "cezanne/data/Store.hpp"

namespace cz::data {

/// Samples episodes from one split of a store. Every episode comes from a Philox stream
/// keyed by mix_key({seed, split, step, task_index}) and nothing else, so the same task comes
/// out on any rank, in any thread, in any order and after a restart. Const methods are
/// thread-safe (the store's class cache is).
class EpisodeSampler final : public EpisodeSource {
 public:
  /// Validates `spec` against the store. Throws std::invalid_argument naming the store path,
  /// the split and the numbers when: ways, shots < 1 or queries < 0; ways exceeds the classes
  /// of the split (with within_domain: of every domain of the split; with rotations each
  /// class counts 4 times); shots+queries exceeds the examples of a class of the split;
  /// rotations on non-square images.
  EpisodeSampler(std::shared_ptr<Store> store, Split split, EpisodeSpec spec, uint64_t seed);

  /// The episode of task `task_index` at `step`.
  Episode sample(int64_t step, int64_t task_index) const override;
  /// Tasks `task_indices` of `step`, stacked; row t equals sample(step, task_indices[t]).
  EpisodeBatch sample_batch(int64_t step, const std::vector<int64_t>& task_indices) const override;

  const EpisodeSpec& spec() const { return spec_; }
  Split split() const { return split_; }
  uint64_t seed() const { return seed_; }
  const std::shared_ptr<Store>& store() const { return store_; }
  /// [C, H, W] of one image of an episode.
  std::vector<int64_t> image_shape() const { return {channels_, height_, width_}; }

 private:
  struct Choice {
    int64_t class_index;
    int rotation;
  };
  // Draws the classes of one task and writes its images and labels to the given buffers
  // (support: ways*shots images, query: ways*queries images). `choices` gets each label's class.
  void fill(int64_t step, int64_t task_index, float* support, int64_t* support_labels, float* query,
            int64_t* query_labels, std::vector<Choice>& choices) const;

  std::shared_ptr<Store> store_;
  Split split_;
  EpisodeSpec spec_;
  uint64_t seed_;
  int64_t height_ = 0, width_ = 0, channels_ = 0;
  std::vector<int64_t> split_classes_;  // class indices of the split, ascending
  std::vector<std::vector<int64_t>>
      domain_classes_;  // within_domain: classes of each eligible domain
};

}  // namespace cz::data
