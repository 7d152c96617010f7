// Multi-task mini-batches: tasks from domains, example-level splits, seeded task and example draws.
#include "cezanne/data/MultiTaskSource.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "DrawDistinct.hpp"
#include "ImageConvert.hpp"
#include "cezanne/data/StoreError.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::data {
namespace {

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Per-thread index scratch for drawing distinct examples.
std::vector<int64_t>& scratch() {
  thread_local std::vector<int64_t> s;
  return s;
}

}  // namespace

TaskSampling parse_task_sampling(const std::string& text) {
  if (text == "uniform") return TaskSampling::uniform;
  if (text == "size") return TaskSampling::size;
  if (text == "temperature") return TaskSampling::temperature;
  throw std::invalid_argument("--task-sampling: expected uniform, size or temperature, got '" +
                              text + "'");
}

const char* to_string(TaskSampling s) {
  switch (s) {
    case TaskSampling::uniform:
      return "uniform";
    case TaskSampling::size:
      return "size";
    case TaskSampling::temperature:
      return "temperature";
  }
  return "unknown";
}

MultiTaskSource::MultiTaskSource(std::shared_ptr<Store> store, MultiTaskSpec spec, uint64_t seed)
    : store_(std::move(store)), spec_(std::move(spec)), seed_(seed) {
  if (!store_) throw std::invalid_argument("MultiTaskSource: no store");
  const std::string store_path = store_->path().string();
  auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  if (spec_.examples < 1)
    fail("--examples-per-task " + std::to_string(spec_.examples) + ": must be >= 1");
  if (!std::isfinite(spec_.temperature) || spec_.temperature <= 0)
    fail("--temperature " + number(spec_.temperature) + ": must be a finite number > 0");
  // examples_in_split would refuse such parts too, but without naming the option.
  if (spec_.parts.train < 1 || spec_.parts.val < 0 || spec_.parts.test < 0)
    fail("--example-split: expected TRAIN/VAL/TEST parts such as 14/2/4, got '" +
         to_string(spec_.parts) + "'");

  const ImageShape shape = store_->shape();
  height_ = shape.height, width_ = shape.width, channels_ = shape.channels;

  // Which domains, in which order.
  const auto& domains = store_->domains();
  std::vector<int32_t> chosen;
  if (spec_.tasks.empty()) {
    for (size_t d = 0; d < domains.size(); ++d) chosen.push_back(static_cast<int32_t>(d));
  } else {
    std::unordered_map<std::string, int32_t> by_name;
    for (size_t d = 0; d < domains.size(); ++d)
      by_name.emplace(domains[d].name, static_cast<int32_t>(d));
    for (const std::string& name : spec_.tasks) {
      const auto it = by_name.find(name);
      if (it == by_name.end())
        fail("--tasks: no writing system '" + name + "' in store " + store_path);
      if (std::find(chosen.begin(), chosen.end(), it->second) != chosen.end())
        fail("--tasks: writing system '" + name + "' is named twice");
      chosen.push_back(it->second);
    }
  }

  // Classes of every domain, ascending, and each class's first store example index.
  const auto& infos = store_->classes();
  std::vector<std::vector<int64_t>> domain_classes(domains.size());
  first_example_.resize(infos.size());
  int64_t offset = 0;
  for (size_t c = 0; c < infos.size(); ++c) {
    first_example_[c] = offset;
    offset += infos[c].num_examples;
    const int32_t d = infos[c].domain;
    if (d >= 0 && static_cast<size_t>(d) < domains.size())
      domain_classes[d].push_back(static_cast<int64_t>(c));
  }

  const std::string split_str = "--example-split " + to_string(spec_.parts);
  const int64_t part_of[kNumSplits] = {spec_.parts.train, spec_.parts.val, spec_.parts.test};
  for (int32_t d : chosen) {
    Task task;
    task.name = domains[d].name;
    task.domain = d;
    task.classes = domain_classes[d];
    const auto classes = static_cast<int64_t>(task.classes.size());
    if (classes < 2)
      fail("--tasks: writing system '" + task.name + "' of store " + store_path + " has " +
           std::to_string(classes) + (classes == 1 ? " class" : " classes") +
           ", a task needs at least 2");
    for (int64_t label = 0; label < classes; ++label) {
      const int64_t c = task.classes[label];
      const int64_t n = infos[c].num_examples;
      for (int s = 0; s < kNumSplits; ++s)
        if (part_of[s] > 0 && examples_in_split(spec_.parts, n, static_cast<Split>(s)) == 0)
          fail(split_str + ": class '" + infos[c].name + "' of task '" + task.name + "' has " +
               std::to_string(n) + " examples, too few");
      for (int s = 0; s < kNumSplits; ++s) {
        std::vector<int64_t> positions = split_examples(spec_.parts, c, n, static_cast<Split>(s));
        if (s == static_cast<int>(Split::train) && spec_.train_per_class > 0)
          positions = k_shot(positions, c, infos[c].name, task.name);
        for (int64_t position : positions) task.examples[s].push_back({c, position, label});
      }
    }
    const auto train = static_cast<int64_t>(task.examples[0].size());
    if (train < spec_.examples)
      fail("--examples-per-task " + std::to_string(spec_.examples) + ": task '" + task.name +
           "' has " + std::to_string(train) + " train examples");
    max_classes_ = std::max(max_classes_, classes);
    tasks_.push_back(std::move(task));
  }
  if (tasks_.empty()) fail("--tasks: store " + store_path + " has no writing system");

  // Task sampling distribution over train sizes.
  probabilities_.resize(tasks_.size());
  double total = 0;
  for (size_t t = 0; t < tasks_.size(); ++t) {
    const auto n = static_cast<double>(tasks_[t].examples[0].size());
    double w = 1.0;
    if (spec_.sampling == TaskSampling::size) w = n;
    if (spec_.sampling == TaskSampling::temperature) w = std::pow(n, 1.0 / spec_.temperature);
    probabilities_[t] = w;
    total += w;
  }
  cumulative_.resize(tasks_.size());
  double running = 0;
  for (size_t t = 0; t < tasks_.size(); ++t) {
    probabilities_[t] /= total;
    running += probabilities_[t];
    cumulative_[t] = running;
  }
  cumulative_.back() = 1.0;  // a draw in [0, 1) always lands on a task
}

std::vector<int64_t> MultiTaskSource::k_shot(const std::vector<int64_t>& train, int64_t class_index,
                                              const std::string& class_name,
                                              const std::string& task_name) const {
  const int64_t k = spec_.train_per_class, n = static_cast<int64_t>(train.size());
  if (n < k)
    throw std::invalid_argument("--train-examples " + std::to_string(k) + ": class '" + class_name +
                                "' of task '" + task_name + "' has " + std::to_string(n) +
                                " train examples");
  constexpr uint64_t kShotKey = 0x6b2d73686f74;  // "k-shot"
  CounterRng rng(mix_key({seed_, static_cast<uint64_t>(class_index), kShotKey}));
  std::vector<int64_t> picks(static_cast<size_t>(k)), dense;
  std::vector<std::pair<int64_t, int64_t>> swaps;
  detail::draw_distinct(rng, n, k, picks.data(), swaps, dense);
  std::vector<int64_t> chosen;
  for (const int64_t p : picks) chosen.push_back(train[static_cast<size_t>(p)]);
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

const MultiTaskSource::Task& MultiTaskSource::task_at(int64_t task, const char* where) const {
  if (task < 0 || task >= num_tasks())
    throw std::out_of_range(std::string("MultiTaskSource::") + where + ": task " +
                            std::to_string(task) + " out of range [0, " +
                            std::to_string(num_tasks()) + ")");
  return tasks_[task];
}

const std::string& MultiTaskSource::task_name(int64_t task) const {
  return task_at(task, "task_name").name;
}

int32_t MultiTaskSource::task_domain(int64_t task) const {
  return task_at(task, "task_domain").domain;
}

int64_t MultiTaskSource::num_classes(int64_t task) const {
  return static_cast<int64_t>(task_at(task, "num_classes").classes.size());
}

int64_t MultiTaskSource::num_examples(int64_t task, Split split) const {
  return static_cast<int64_t>(
      task_at(task, "num_examples").examples[static_cast<int>(split)].size());
}

void MultiTaskSource::write_example(const Example& e, float* image, int64_t* label,
                                    int64_t* class_id, int64_t* example_id) const {
  detail::read_example(*store_, e.class_index, e.position, image, "MultiTaskSource");
  *label = e.label;
  *class_id = e.class_index;
  *example_id = first_example_[e.class_index] + e.position;
}

TaskBatch MultiTaskSource::sample(Split split, int64_t step,
                                  const std::vector<int64_t>& slots) const {
  const auto rows = static_cast<int64_t>(slots.size());
  const int64_t b = spec_.examples, image = channels_ * height_ * width_;
  TaskBatch batch;
  batch.inputs = Tensor::empty({rows, b, channels_, height_, width_}, DType::f32);
  batch.labels = Tensor::empty({rows, b}, DType::i64);
  batch.class_ids = Tensor::empty({rows, b}, DType::i64);
  batch.example_ids = Tensor::empty({rows, b}, DType::i64);
  batch.slots = slots;
  batch.step = step;
  batch.tasks.resize(slots.size());
  if (rows == 0) return batch;
  float* inputs = batch.inputs.data<float>();
  int64_t* labels = batch.labels.data<int64_t>();
  int64_t* class_ids = batch.class_ids.data<int64_t>();
  int64_t* example_ids = batch.example_ids.data<int64_t>();
  std::vector<int64_t>& order = scratch();
  for (int64_t r = 0; r < rows; ++r) {
    CounterRng rng(mix_key({seed_, static_cast<uint64_t>(split), static_cast<uint64_t>(step),
                            static_cast<uint64_t>(slots[r])}));
    const double u = rng.uniform();
    const auto t = static_cast<int64_t>(
        std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin());
    batch.tasks[r] = t;
    const std::vector<Example>& pool = tasks_[t].examples[static_cast<int>(split)];
    const auto n = static_cast<int64_t>(pool.size());
    if (n < b)
      throw std::invalid_argument("MultiTaskSource::sample: task '" + tasks_[t].name + "' has " +
                                  std::to_string(n) + " " + split_name(split) +
                                  " examples, fewer than --examples-per-task " + std::to_string(b));
    // The first b entries of a Fisher-Yates shuffle of 0..n-1.
    order.resize(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    for (int64_t i = 0; i < b; ++i) {
      const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - i)));
      std::swap(order[i], order[j]);
      const int64_t k = r * b + i;
      write_example(pool[order[i]], inputs + k * image, labels + k, class_ids + k, example_ids + k);
    }
  }
  return batch;
}

TaskBatch MultiTaskSource::task_examples(int64_t task, Split split, int64_t begin,
                                         int64_t end) const {
  const std::vector<Example>& pool =
      task_at(task, "task_examples").examples[static_cast<int>(split)];
  const auto n = static_cast<int64_t>(pool.size());
  if (begin < 0 || begin > end || end > n)
    throw std::out_of_range("MultiTaskSource::task_examples: examples [" + std::to_string(begin) +
                            ", " + std::to_string(end) + ") of task '" + tasks_[task].name +
                            "', which has " + std::to_string(n) + " " + split_name(split) +
                            " examples");
  const int64_t b = end - begin, image = channels_ * height_ * width_;
  TaskBatch batch;
  batch.inputs = Tensor::empty({1, b, channels_, height_, width_}, DType::f32);
  batch.labels = Tensor::empty({1, b}, DType::i64);
  batch.class_ids = Tensor::empty({1, b}, DType::i64);
  batch.example_ids = Tensor::empty({1, b}, DType::i64);
  batch.tasks = {task};
  if (b == 0) return batch;
  float* inputs = batch.inputs.data<float>();
  int64_t* labels = batch.labels.data<int64_t>();
  int64_t* class_ids = batch.class_ids.data<int64_t>();
  int64_t* example_ids = batch.example_ids.data<int64_t>();
  for (int64_t k = 0; k < b; ++k)
    write_example(pool[begin + k], inputs + k * image, labels + k, class_ids + k, example_ids + k);
  return batch;
}

}  // namespace cz::data
