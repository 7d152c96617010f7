// EpisodeSource: where a meta-learning step's tasks come from (design §1, task sources).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "cezanne/data/Episode.hpp"

namespace cz::data {

/// A family of few-shot tasks, each a pure function of (the source's seed and split, step, global
/// task index): the same task comes out on any rank, in any thread, in any order and after a
/// restart. Implementations: EpisodeSampler (N-way K-shot episodes of a store),
/// learn::SinusoidTasks (regression), SyntheticEpisodes (random images, for `bench step`),
/// AugmentationTasks (single unlabelled examples and their augmented views).
/// Const methods are thread-safe.
class EpisodeSource {
 public:
  virtual ~EpisodeSource() = default;
  /// The episode of task `task_index` at `step`.
  virtual Episode sample(int64_t step, int64_t task_index) const = 0;
  /// Tasks `task_indices` of `step`, stacked on the task axis; row t equals
  /// sample(step, task_indices[t]).
  virtual EpisodeBatch sample_batch(int64_t step, const std::vector<int64_t>& task_indices) const = 0;
};

/// Writes one task's images and labels into its rows (support: ways x shots images, query:
/// ways x queries, each C x H x W floats) and returns Episode::classes, label by label.
using FillTask = std::function<std::vector<int64_t>(int64_t task_index, float* support, int64_t* support_labels,
                                                    float* query, int64_t* query_labels)>;

/// The episode, and the batch of episodes, of a source that fills one task at a time (the
/// pseudo-task sources): the tensors of `spec`'s sizes on the host, each task filled by `fill`,
/// rotations 0.
Episode filled_episode(const EpisodeSpec& spec, int64_t channels, int64_t height, int64_t width, int64_t task_index,
                       const FillTask& fill);
EpisodeBatch filled_batch(const EpisodeSpec& spec, int64_t channels, int64_t height, int64_t width, int64_t step,
                          const std::vector<int64_t>& task_indices, const FillTask& fill);

}  // namespace cz::data
