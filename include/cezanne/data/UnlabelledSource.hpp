// Unlabelled examples of a store's class split: the task source of unsupervised pre-training.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "cezanne/data/ExampleRef.hpp"
#include "cezanne/data/ExampleSplit.hpp"
#include "cezanne/data/Split.hpp"
#include "cezanne/data/Store.hpp"
#include "cezanne/data/TaskBatch.hpp"

namespace cz::data {

/// Draws rows of `examples` images from every example of one split, with no label. Split by class
/// (no `parts`): every example of the store's classes of the split (the meta-training classes,
/// for pre-training that is then evaluated on the held-out ones). Split by example (`parts`):
/// the split's part of every class of the store (data::split_examples, the fixed partition of
/// multi-task learning), for a store whose classes are all in train (Fashion-MNIST). Either way
/// there is no label: TaskBatch::labels is undefined and tasks is empty, while class_ids and example_ids
/// say which store examples a row holds (for leakage checks, never for the objective).
///
/// Row r of step k is a pure function of (seed, split, step, slot): `examples` distinct
/// examples of the split drawn uniformly from a CounterRng keyed by mix_key({seed, split, step,
/// slot}), so the same rows come out on any rank, in any order, after a restart. Memory is one
/// integer per class of the split, not per example, when split by class; split by example, it
/// also holds each class's list of positions in the split's part (one integer per example of
/// the part), computed once here rather than on every draw. Const methods are thread-safe (the store's
/// class cache is).
class UnlabelledSource {
 public:
  /// Throws std::invalid_argument naming the store and split when examples < 1 or the split
  /// holds fewer than `examples` examples.
  UnlabelledSource(std::shared_ptr<Store> store, Split split, int64_t examples, uint64_t seed,
                   std::optional<ExampleSplit> parts = std::nullopt);

  /// Slots `slots` of step `step`: inputs f32 [T, B, C, H, W] (T = slots.size(), B = examples),
  /// class_ids and example_ids i64 [T, B]. `slots` may be empty (a rank with no row): T = 0.
  TaskBatch sample(int64_t step, const std::vector<int64_t>& slots) const;

  /// Example `index` (0..num_examples()-1, class by class in store order) of the split alone:
  /// f32 [1, 1, C, H, W] on the host (the evaluation of unlabelled objectives). Throws
  /// std::out_of_range naming the index outside that range.
  Tensor example(int64_t index) const;

  /// The store example id (over all classes, in store order) of example `index`, as example()
  /// reads it. Throws std::out_of_range as example() does.
  int64_t example_id(int64_t index) const;

  /// The store class and position within it of example `index` (its label for frozen-embedding
  /// evaluation, its address for pools of examples). Throws std::out_of_range as example() does.
  ExampleRef reference(int64_t index) const;

  /// Examples of the split (over all its classes).
  int64_t num_examples() const { return cumulative_.empty() ? 0 : cumulative_.back(); }
  Split split() const { return split_; }
  int64_t examples_per_row() const { return examples_; }

 private:
  // The split's example `index` as (position in classes_, position in its class).
  std::pair<size_t, int64_t> locate(int64_t index) const;
  // locate() after the range check of example() and example_id().
  std::pair<size_t, int64_t> checked(int64_t index) const;

  std::shared_ptr<Store> store_;
  Split split_;
  int64_t examples_;
  uint64_t seed_;
  int64_t height_ = 0, width_ = 0, channels_ = 0;
  std::vector<int64_t> classes_;     // store class indices of the split, ascending
  std::vector<int64_t> cumulative_;  // examples of classes_[0..i], running
  std::vector<int64_t> first_example_;  // store example id of each of classes_' example 0
  // Split by example: positions within the class of each of classes_' examples in the part;
  // empty when split by class (position = index within the class).
  std::vector<std::vector<int64_t>> positions_;
};

}  // namespace cz::data
