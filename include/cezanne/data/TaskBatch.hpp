// A step's task mini-batch: T rows of B examples each (labelled tasks, or unlabelled examples).
#pragma once

#include <cstdint>
#include <vector>

#include "cezanne/tensor/Tensor.hpp"

namespace cz::data {

/// Multi-task learning (MultiTaskSource): rows are tasks; every example of a row belongs to that
/// row's task and is labelled by its class's position among the task's classes. Unlabelled
/// examples (UnlabelledSource): no labels and no tasks, the ids only.
struct TaskBatch {
  Tensor inputs;       ///< f32 [T, B, C, H, W], pixels in [0, 1] (byte / 255)
  Tensor labels;       ///< i64 [T, B]: the example's class position within its task; undefined when unlabelled
  Tensor class_ids;    ///< i64 [T, B]: store class index
  Tensor example_ids;  ///< i64 [T, B]: examples of earlier store classes + position in class
  std::vector<int64_t> tasks;  ///< task index (0..num_tasks-1) of each row
  /// Global slot index of each row within the step (empty for evaluation batches).
  std::vector<int64_t> slots;
  int64_t step = 0;

  /// Rows [begin, end) as a batch of their own (views of the same tensors, the same step).
  TaskBatch rows(int64_t begin, int64_t end) const {
    TaskBatch part;
    part.inputs = inputs.slice(0, begin, end);
    if (labels.defined()) part.labels = labels.slice(0, begin, end);
    part.class_ids = class_ids.slice(0, begin, end);
    part.example_ids = example_ids.slice(0, begin, end);
    if (!tasks.empty()) part.tasks.assign(tasks.begin() + begin, tasks.begin() + end);
    if (!slots.empty()) part.slots.assign(slots.begin() + begin, slots.begin() + end);
    part.step = step;
    return part;
  }

  /// The same rows with their tensors on `device` (sources build batches on the host).
  TaskBatch to(Device device) const {
    TaskBatch b = *this;
    for (Tensor* t : {&b.inputs, &b.labels, &b.class_ids, &b.example_ids})
      if (t->defined()) *t = t->to(device);
    return b;
  }
};

}  // namespace cz::data
