// Rows of unlabelled examples drawn uniformly from a class split, by a counter-based stream.
#include "cezanne/data/UnlabelledSource.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "DrawDistinct.hpp"
#include "ImageConvert.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::data {

UnlabelledSource::UnlabelledSource(std::shared_ptr<Store> store, Split split, int64_t examples,
                                   uint64_t seed, std::optional<ExampleSplit> parts)
    : store_(std::move(store)), split_(split), examples_(examples), seed_(seed) {
  const std::string where = "store " + store_->path().string() + ", split " + split_name(split) +
                            (parts ? " of --example-split " + to_string(*parts) : std::string());
  if (examples_ < 1)
    throw std::invalid_argument(where + ": examples per row must be >= 1, got " + std::to_string(examples_));
  const ImageShape shape = store_->shape();
  height_ = shape.height;
  width_ = shape.width;
  channels_ = shape.channels;
  const std::vector<ClassInfo>& infos = store_->classes();
  std::vector<int64_t> first(infos.size());
  int64_t offset = 0;
  for (size_t c = 0; c < infos.size(); ++c) {
    first[c] = offset;
    offset += infos[c].num_examples;
  }
  std::vector<int64_t> classes;
  if (parts) {
    for (size_t c = 0; c < infos.size(); ++c) classes.push_back(static_cast<int64_t>(c));
  } else {
    classes = store_->classes_in(split);
  }
  int64_t running = 0;
  for (const int64_t c : classes) {
    const int64_t n = infos[static_cast<size_t>(c)].num_examples;
    if (parts) {
      positions_.push_back(split_examples(*parts, c, n, split));
      if (positions_.back().empty()) {  // a class with no example in the part adds nothing
        positions_.pop_back();
        continue;
      }
    }
    classes_.push_back(c);
    first_example_.push_back(first[static_cast<size_t>(c)]);
    running += parts ? static_cast<int64_t>(positions_.back().size()) : n;
    cumulative_.push_back(running);
  }
  if (running < examples_)
    throw std::invalid_argument(where + ": " + std::to_string(running) + " examples, fewer than " +
                                std::to_string(examples_) + " per row");
}

std::pair<size_t, int64_t> UnlabelledSource::locate(int64_t index) const {
  // Its class is the first whose running count exceeds it.
  const auto k = static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), index) -
                                     cumulative_.begin());
  const int64_t j = index - (k == 0 ? 0 : cumulative_[k - 1]);
  return {k, positions_.empty() ? j : positions_[k][static_cast<size_t>(j)]};
}

std::pair<size_t, int64_t> UnlabelledSource::checked(int64_t index) const {
  if (index < 0 || index >= num_examples())
    throw std::out_of_range("UnlabelledSource: example " + std::to_string(index) + " of split " +
                            split_name(split_) + " outside [0, " + std::to_string(num_examples()) + ")");
  return locate(index);
}

int64_t UnlabelledSource::example_id(int64_t index) const {
  const auto [k, position] = checked(index);
  return first_example_[k] + position;
}

ExampleRef UnlabelledSource::reference(int64_t index) const {
  const auto [k, position] = checked(index);
  return {classes_[k], position};
}

Tensor UnlabelledSource::example(int64_t index) const {
  Tensor out = Tensor::empty({1, 1, channels_, height_, width_}, DType::f32);
  const auto [k, position] = checked(index);
  detail::read_example(*store_, classes_[k], position, out.data<float>(), "UnlabelledSource");
  return out;
}

TaskBatch UnlabelledSource::sample(int64_t step, const std::vector<int64_t>& slots) const {
  const auto rows = static_cast<int64_t>(slots.size());
  const int64_t b = examples_, image = channels_ * height_ * width_;
  TaskBatch batch;
  batch.inputs = Tensor::empty({rows, b, channels_, height_, width_}, DType::f32);
  batch.class_ids = Tensor::empty({rows, b}, DType::i64);
  batch.example_ids = Tensor::empty({rows, b}, DType::i64);
  batch.slots = slots;
  batch.step = step;
  if (rows == 0) return batch;
  float* inputs = batch.inputs.data<float>();
  int64_t* class_ids = batch.class_ids.data<int64_t>();
  int64_t* example_ids = batch.example_ids.data<int64_t>();
  thread_local std::vector<std::pair<int64_t, int64_t>> swaps;
  thread_local std::vector<int64_t> dense, picks;
  picks.resize(static_cast<size_t>(b));
  for (int64_t r = 0; r < rows; ++r) {
    CounterRng rng(mix_key({seed_, static_cast<uint64_t>(split_), static_cast<uint64_t>(step),
                            static_cast<uint64_t>(slots[r])}));
    detail::draw_distinct(rng, num_examples(), b, picks.data(), swaps, dense);
    for (int64_t i = 0; i < b; ++i) {
      const auto [k, position] = locate(picks[i]);
      const int64_t c = classes_[k], j = r * b + i;
      detail::read_example(*store_, c, position, inputs + j * image, "UnlabelledSource");
      class_ids[j] = c;
      example_ids[j] = first_example_[k] + position;
    }
  }
  return batch;
}

}  // namespace cz::data
