// Labelled task mini-batches for multi-task learning: a task is a domain, split by example.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cezanne/data/ExampleSplit.hpp"
#include "cezanne/data/Split.hpp"
#include "cezanne/data/Store.hpp"
#include "cezanne/data/TaskBatch.hpp"

namespace cz::data {

/// How a training slot picks its task.
enum class TaskSampling : uint8_t { uniform, size, temperature };

/// "uniform", "size", "temperature"; throws std::invalid_argument
/// "--task-sampling: expected uniform, size or temperature, got 'x'".
TaskSampling parse_task_sampling(const std::string& text);
const char* to_string(TaskSampling s);

struct MultiTaskSpec {
  int64_t examples = 16;  ///< B: examples of a task per row of a training batch
  TaskSampling sampling = TaskSampling::uniform;
  /// Temperature sampling: p_t proportional to n_t^(1/temperature), n_t = the task's train
  /// examples (1: size sampling; large: towards uniform).
  double temperature = 5.0;
  ExampleSplit parts;
  /// Domain names to use, in this order; empty: every domain of the store in index order.
  std::vector<std::string> tasks;
  /// K-shot tasks (transfer learning's targets): K train examples of each class, drawn from its
  /// train part by a CounterRng keyed by mix_key({seed, class index, kShotKey}), so every seed
  /// sees its own K; val and test are untouched. 0: every train example.
  int64_t train_per_class = 0;
};

/// Labelled task mini-batches from a store. A task is a domain with every one of its classes
/// (the store's own domain split is ignored); label = the class's position among the task's
/// classes in ascending class index. Train/val/test split each class by example
/// (split_examples), so a task's test examples are unseen images of characters it trained on.
///
/// A training batch is a pure function of (seed, split, step, slot): slot s of step k draws its
/// task from probabilities() and then `examples` distinct examples of that task's `split`
/// examples (uniformly, without replacement within the row) from a CounterRng keyed by
/// mix_key({seed, split, step, slot}), so the same rows come out on any rank, in any order,
/// after a restart. Const methods are thread-safe (the store's class cache is).
class MultiTaskSource {
 public:
  /// Throws std::invalid_argument with one line when: a name in spec.tasks is not a domain of
  /// the store ("--tasks: no writing system 'Foo' in store data/glyphs"); a task name repeats;
  /// examples < 1; temperature not finite or <= 0; a class has too few examples for the split
  /// (a non-zero part gets 0 examples: "--example-split 14/2/4: class 'X' of task 'Y' has 3
  /// examples, too few"); a task has fewer train examples than `examples`
  /// ("--examples-per-task 64: task 'Y' has 42 train examples"); a task has fewer than 2 classes;
  /// a class has fewer train examples than train_per_class ("--train-examples 10: class 'X' of
  /// task 'Y' has 7 train examples").
  MultiTaskSource(std::shared_ptr<Store> store, MultiTaskSpec spec, uint64_t seed);

  int64_t num_tasks() const { return static_cast<int64_t>(tasks_.size()); }
  const std::string& task_name(int64_t task) const;
  int32_t task_domain(int64_t task) const;  ///< store domain index
  int64_t num_classes(int64_t task) const;
  /// Classes of the largest task (the width of a shared head).
  int64_t max_classes() const { return max_classes_; }
  int64_t num_examples(int64_t task, Split split) const;
  /// Task sampling distribution, sums to 1 (uniform: 1/T; size: n_t / sum n; temperature:
  /// n_t^(1/temperature) normalized; n_t = train examples).
  const std::vector<double>& probabilities() const { return probabilities_; }

  /// Slots `slots` of training/validation step `step`, from `split`'s examples; row r is slot
  /// slots[r]. `slots` may be empty (a rank with no row this step): then the tensors have T = 0.
  /// Throws std::invalid_argument if the drawn task has fewer than `examples` examples in `split`.
  TaskBatch sample(Split split, int64_t step, const std::vector<int64_t>& slots) const;
  /// Evaluation: examples [begin, end) of task `task`'s `split` examples in a fixed order (class
  /// by class in ascending class index, positions ascending), as one row (T = 1,
  /// B = end - begin), tasks = {task}, slots empty.
  TaskBatch task_examples(int64_t task, Split split, int64_t begin, int64_t end) const;

  const MultiTaskSpec& spec() const { return spec_; }
  uint64_t seed() const { return seed_; }
  const std::shared_ptr<Store>& store() const { return store_; }
  /// [C, H, W] of one image.
  std::vector<int64_t> image_shape() const { return {channels_, height_, width_}; }

 private:
  /// One example of a task's split: where it is in the store and its label.
  struct Example {
    int64_t class_index;
    int64_t position;  // within the class
    int64_t label;
  };
  struct Task {
    std::string name;
    int32_t domain;
    std::vector<int64_t> classes;               // store class indices, ascending
    std::vector<Example> examples[kNumSplits];  // class by class, positions ascending
  };

  const Task& task_at(int64_t task, const char* where) const;
  // K of a class's train positions (spec_.train_per_class), drawn by the seed, ascending.
  std::vector<int64_t> k_shot(const std::vector<int64_t>& train, int64_t class_index,
                              const std::string& class_name, const std::string& task_name) const;
  // Writes example `e` into one row position: image [C, H, W] and its three ids.
  void write_example(const Example& e, float* image, int64_t* label, int64_t* class_id,
                     int64_t* example_id) const;

  std::shared_ptr<Store> store_;
  MultiTaskSpec spec_;
  uint64_t seed_;
  int64_t height_ = 0, width_ = 0, channels_ = 0;
  std::vector<Task> tasks_;
  std::vector<int64_t> first_example_;  // store example index of each class's example 0
  std::vector<double> probabilities_;
  std::vector<double> cumulative_;  // running sums of probabilities_, the last exactly 1
  int64_t max_classes_ = 0;
};

}  // namespace cz::data
