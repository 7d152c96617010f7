// Augmentation tasks: N unlabelled examples per episode, their augmented views as shots and queries.
#include "cezanne/data/AugmentationTasks.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace cz::data {
namespace {

// The checks that must precede UnlabelledSource's construction (it would report ways < 1 in
// its own words).
EpisodeSpec checked(const std::shared_ptr<Store>& store, Split split, EpisodeSpec spec, const AugmentSpec& augment) {
  if (!store) throw std::invalid_argument("AugmentationTasks: no store");
  const std::string where =
      "AugmentationTasks: store '" + store->path().string() + "' split '" + split_name(split) + "': ";
  auto fail = [&](const std::string& what) { throw std::invalid_argument(where + what); };
  if (spec.ways < 1) fail("ways must be >= 1, got " + std::to_string(spec.ways));
  if (spec.shots < 1) fail("shots must be >= 1, got " + std::to_string(spec.shots));
  if (spec.queries < 0) fail("queries must be >= 0, got " + std::to_string(spec.queries));
  if (spec.within_domain) fail("within_domain has no meaning for augmentation tasks (a class is one example)");
  if (spec.rotations) fail("rotations have no meaning for augmentation tasks (a class is one example)");
  augment.validate();
  return spec;
}

}  // namespace

AugmentationTasks::AugmentationTasks(std::shared_ptr<Store> store, Split split, EpisodeSpec spec,
                                     AugmentSpec augment, uint64_t seed)
    : spec_(checked(store, split, spec, augment)),
      augment_(augment),
      seed_(seed),
      examples_(store, split, spec.ways, seed),
      channels_(store->shape().channels),
      height_(store->shape().height),
      width_(store->shape().width) {}

std::vector<int64_t> AugmentationTasks::fill(int64_t step, int64_t task_index, float* support,
                                             int64_t* support_labels, float* query,
                                             int64_t* query_labels) const {
  const int64_t ways = spec_.ways, shots = spec_.shots, queries = spec_.queries;
  const int64_t image = channels_ * height_ * width_;
  const TaskBatch drawn = examples_.sample(step, {task_index});
  Tensor originals = drawn.inputs.view({ways, channels_, height_, width_});
  std::vector<int64_t> classes = drawn.class_ids.to_i64_vector();
  if (!spec_.shuffle_labels) {  // labels in the order of the examples' store ids
    const std::vector<int64_t> ids = drawn.example_ids.to_i64_vector();
    std::vector<int64_t> order(static_cast<size_t>(ways));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ids[a] < ids[b]; });
    Tensor sorted = Tensor::empty({ways, channels_, height_, width_});
    const float* from = originals.data<float>();
    std::vector<int64_t> sorted_classes;
    for (int64_t l = 0; l < ways; ++l) {
      std::copy_n(from + order[l] * image, image, sorted.data<float>() + l * image);
      sorted_classes.push_back(classes[order[l]]);
    }
    originals = sorted;
    classes = std::move(sorted_classes);
  }
  std::vector<int64_t> keys(static_cast<size_t>(ways));
  for (int64_t l = 0; l < ways; ++l) keys[l] = task_index * ways + l;
  for (int64_t e = 0; e < shots + queries; ++e) {
    const Tensor views = augment(originals, augment_, seed_, step, keys, e);
    const float* v = views.data<float>();
    for (int64_t l = 0; l < ways; ++l) {
      float* out = e < shots ? support + (l * shots + e) * image : query + (l * queries + e - shots) * image;
      std::copy(v + l * image, v + (l + 1) * image, out);
    }
  }
  for (int64_t l = 0; l < ways; ++l) {
    std::fill(support_labels + l * shots, support_labels + (l + 1) * shots, l);
    std::fill(query_labels + l * queries, query_labels + (l + 1) * queries, l);
  }
  return classes;
}

Episode AugmentationTasks::sample(int64_t step, int64_t task_index) const {
  return filled_episode(spec_, channels_, height_, width_, task_index, [&](auto... rows) { return fill(step, rows...); });
}

EpisodeBatch AugmentationTasks::sample_batch(int64_t step, const std::vector<int64_t>& task_indices) const {
  return filled_batch(spec_, channels_, height_, width_, step, task_indices,
                      [&](auto... rows) { return fill(step, rows...); });
}

}  // namespace cz::data
