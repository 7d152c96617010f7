// One few-shot task (support and query sets) and a rank's tasks stacked along a task axis.
#pragma once

#include <cstdint>
#include <vector>

#include "cezanne/tensor/Tensor.hpp"

namespace cz::data {

/// What an episode looks like: N ways, K shots and Q queries per class.
struct EpisodeSpec {
  int ways = 5;
  int shots = 1;
  int queries = 15;
  /// Draw all classes of an episode from one domain (an alphabet: Omniglot-style tasks)
  /// instead of from the whole split.
  bool within_domain = false;
  /// A fresh random class -> label assignment per episode (the cure for memorization).
  /// Off: labels follow the order of the chosen classes' (class index, rotation).
  bool shuffle_labels = true;
  /// Rotations by k*90 degrees make new classes: a (class, k) pair is one class.
  bool rotations = false;
};

/// One task. Images are f32 in [0, 1], laid out [C, H, W]; rows are class-major
/// (label 0's shots first, then label 1's, ...).
struct Episode {
  Tensor support;                ///< f32 [ways*shots, C, H, W]
  Tensor support_labels;         ///< i64 [ways*shots]
  Tensor query;                  ///< f32 [ways*queries, C, H, W]
  Tensor query_labels;           ///< i64 [ways*queries]
  std::vector<int64_t> classes;  ///< store class index of label 0..ways-1
  std::vector<int> rotations;    ///< k (rotation by k*90 degrees) of each label's class; 0 when off
  int64_t task_index = 0;

  /// The same task with its tensors on `device` (sources build episodes on the host).
  Episode to(Device device) const {
    Episode e = *this;
    for (Tensor* t : {&e.support, &e.support_labels, &e.query, &e.query_labels}) *t = t->to(device);
    return e;
  }
};

/// A rank's tasks of one step, stacked on a leading task axis T.
struct EpisodeBatch {
  Tensor support;                     ///< f32 [T, ways*shots, C, H, W]
  Tensor support_labels;              ///< i64 [T, ways*shots]
  Tensor query;                       ///< f32 [T, ways*queries, C, H, W]
  Tensor query_labels;                ///< i64 [T, ways*queries]
  std::vector<int64_t> task_indices;  ///< global task index of each row
  int64_t step = 0;

  /// Tasks [begin, end) as a batch of their own (views of the same tensors, the same step).
  EpisodeBatch tasks(int64_t begin, int64_t end) const {
    EpisodeBatch part;
    part.support = support.slice(0, begin, end);
    part.support_labels = support_labels.slice(0, begin, end);
    part.query = query.slice(0, begin, end);
    part.query_labels = query_labels.slice(0, begin, end);
    if (!task_indices.empty())
      part.task_indices.assign(task_indices.begin() + begin, task_indices.begin() + end);
    part.step = step;
    return part;
  }

  /// The same tasks with their tensors on `device` (sources build batches on the host).
  EpisodeBatch to(Device device) const {
    EpisodeBatch b = *this;
    for (Tensor* t : {&b.support, &b.support_labels, &b.query, &b.query_labels}) *t = t->to(device);
    return b;
  }
};

}  // namespace cz::data
