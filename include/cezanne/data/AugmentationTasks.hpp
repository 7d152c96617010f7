// Augmentation tasks: few-shot episodes made from unlabelled examples, one example per class.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cezanne/data/Augment.hpp"
#include "cezanne/data/Episode.hpp"
#include "cezanne/data/EpisodeSource.hpp"
#include "cezanne/data/Split.hpp"
#include "cezanne/data/Store.hpp"
#include "cezanne/data/UnlabelledSource.hpp"

namespace cz::data {

/// Unsupervised meta-learning's pseudo-tasks from augmentations (UMTRA, Khodadadeh et al. 2019):
/// an N-way episode's classes are N distinct examples of the split, drawn without their labels,
/// and each class's shots and queries are augmented views of its one example. The meta-learner
/// then learns to tell examples apart across augmentations, which it can do only by features
/// that survive them, and is evaluated on real episodes of held-out classes as usual.
///
/// Task `task_index` of step `step` is a pure function of (seed, split, step, task_index): its
/// examples are UnlabelledSource's row `task_index` (the same draw), and view e of label l is
/// augment(..., seed, step, key = task_index * ways + l, view = e), shots first (e < shots),
/// then queries. Labels follow the draw order, itself uniformly random (with shuffle_labels off:
/// the order of the examples' store ids). Two examples may share a store class (each is its own
/// pseudo-class); Episode::classes holds their store classes for leakage checks, rotations 0.
/// Const methods are thread-safe.
class AugmentationTasks final : public EpisodeSource {
 public:
  /// Throws std::invalid_argument naming the store and split when ways or shots < 1, queries
  /// < 0, within_domain or rotations is set (neither has a meaning here), the split has fewer
  /// than `ways` examples, or as augment.validate().
  AugmentationTasks(std::shared_ptr<Store> store, Split split, EpisodeSpec spec, AugmentSpec augment,
                    uint64_t seed);

  Episode sample(int64_t step, int64_t task_index) const override;
  EpisodeBatch sample_batch(int64_t step, const std::vector<int64_t>& task_indices) const override;

  const EpisodeSpec& spec() const { return spec_; }
  const AugmentSpec& augmentation() const { return augment_; }

 private:
  // Writes task `task_index`'s views and labels to the buffers (ways*shots and ways*queries
  // images) and returns each label's store class.
  std::vector<int64_t> fill(int64_t step, int64_t task_index, float* support, int64_t* support_labels,
                            float* query, int64_t* query_labels) const;

  EpisodeSpec spec_;
  AugmentSpec augment_;
  uint64_t seed_;
  UnlabelledSource examples_;
  int64_t channels_, height_, width_;
};

}  // namespace cz::data
