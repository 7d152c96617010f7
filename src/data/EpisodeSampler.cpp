// N-way K-shot Q-query episodes: class choice, example choice, label shuffling, rotations.
#include "cezanne/data/EpisodeSampler.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "DrawDistinct.hpp"
#include "ImageConvert.hpp"
#include "cezanne/data/StoreError.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::data {
namespace {

// Per-thread scratch, so that sampling allocates only its output tensors.
struct Scratch {
  std::vector<int64_t> picks;
  std::vector<std::pair<int64_t, int64_t>> swaps;
  std::vector<int64_t> dense;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

EpisodeSampler::EpisodeSampler(std::shared_ptr<Store> store, Split split, EpisodeSpec spec,
                               uint64_t seed)
    : store_(std::move(store)), split_(split), spec_(spec), seed_(seed) {
  if (!store_) throw std::invalid_argument("EpisodeSampler: no store");
  const std::string where =
      "EpisodeSampler: store '" + store_->path().string() + "' split '" + split_name(split) + "': ";
  auto fail = [&](const std::string& what) { throw std::invalid_argument(where + what); };
  if (spec_.ways < 1) fail("ways must be >= 1, got " + std::to_string(spec_.ways));
  if (spec_.shots < 1) fail("shots must be >= 1, got " + std::to_string(spec_.shots));
  if (spec_.queries < 0) fail("queries must be >= 0, got " + std::to_string(spec_.queries));

  const ImageShape shape = store_->shape();
  height_ = shape.height, width_ = shape.width, channels_ = shape.channels;
  if (spec_.rotations && height_ != width_)
    fail("rotations need square images, the store's are " + std::to_string(height_) + "x" +
         std::to_string(width_));

  const int64_t per_class = spec_.rotations ? 4 : 1;  // (class, rotation) pairs per store class
  auto count_str = [&](int64_t n) {
    std::string s = std::to_string(n) + (n == 1 ? " class" : " classes");
    if (spec_.rotations) s += " (" + std::to_string(n * per_class) + " with rotations)";
    return s;
  };
  split_classes_ = store_->classes_in(split_);
  const std::string ways_str = std::to_string(spec_.ways) + "-way episodes";

  std::vector<int64_t> usable;  // classes an episode can draw
  if (!spec_.within_domain) {
    if (spec_.ways > static_cast<int64_t>(split_classes_.size()) * per_class)
      fail(ways_str + " need " + std::to_string(spec_.ways) + " classes, the split has " +
           count_str(split_classes_.size()));
    usable = split_classes_;
  } else {
    const std::vector<int32_t> domains = store_->domains_in(split_);
    int64_t largest = 0;
    int32_t largest_domain = -1;
    for (int32_t d : domains) {
      std::vector<int64_t> classes = store_->classes_in(split_, d);
      const auto n = static_cast<int64_t>(classes.size());
      if (n > largest) largest = n, largest_domain = d;
      if (spec_.ways <= n * per_class) {
        usable.insert(usable.end(), classes.begin(), classes.end());
        domain_classes_.push_back(std::move(classes));
      }
    }
    if (domain_classes_.empty()) {
      std::string msg = ways_str + " within one domain need a domain with " +
                        std::to_string(spec_.ways) + " classes; the split has " +
                        std::to_string(domains.size()) + " domains";
      if (largest_domain >= 0)
        msg += ", the largest ('" + store_->domains()[largest_domain].name + "') has " +
               count_str(largest);
      fail(msg);
    }
  }

  // Every class an episode can draw must hold shots+queries distinct examples.
  const int64_t need = static_cast<int64_t>(spec_.shots) + spec_.queries;
  const auto& infos = store_->classes();
  int64_t short_classes = 0, worst = -1;
  for (int64_t c : usable) {
    if (infos[c].num_examples < need) {
      ++short_classes;
      if (worst < 0 || infos[c].num_examples < infos[worst].num_examples) worst = c;
    }
  }
  if (worst >= 0) {
    std::ostringstream msg;
    msg << "class " << worst << " ('" << infos[worst].name << "') has " << infos[worst].num_examples
        << " examples, fewer than shots+queries = " << spec_.shots << "+" << spec_.queries << " = "
        << need;
    if (short_classes > 1) msg << " (" << short_classes << " classes of the split are that short)";
    fail(msg.str());
  }
}

void EpisodeSampler::fill(int64_t step, int64_t task_index, float* support, int64_t* support_labels,
                          float* query, int64_t* query_labels, std::vector<Choice>& choices) const {
  CounterRng rng(mix_key({seed_, static_cast<uint64_t>(split_), static_cast<uint64_t>(step),
                          static_cast<uint64_t>(task_index)}));
  Scratch& s = scratch();
  const int64_t ways = spec_.ways, shots = spec_.shots, queries = spec_.queries;

  // 1. Classes: a domain first when within_domain, then `ways` distinct (class, rotation) pairs.
  const std::vector<int64_t>& pool =
      spec_.within_domain ? domain_classes_[rng.below(domain_classes_.size())] : split_classes_;
  const int64_t per_class = spec_.rotations ? 4 : 1;
  s.picks.resize(static_cast<size_t>(std::max(ways, shots + queries)));
  detail::draw_distinct(rng, static_cast<int64_t>(pool.size()) * per_class, ways, s.picks.data(), s.swaps,
                s.dense);
  choices.resize(static_cast<size_t>(ways));
  for (int64_t l = 0; l < ways; ++l)
    choices[l] = {pool[s.picks[l] / per_class], static_cast<int>(s.picks[l] % per_class)};

  // 2. Labels: sorted (class, rotation) order, then a random permutation when shuffling.
  std::sort(choices.begin(), choices.end(), [](const Choice& a, const Choice& b) {
    return a.class_index != b.class_index ? a.class_index < b.class_index : a.rotation < b.rotation;
  });
  if (spec_.shuffle_labels)
    for (int64_t i = ways - 1; i > 0; --i)
      std::swap(choices[i], choices[static_cast<size_t>(rng.below(static_cast<uint64_t>(i + 1)))]);

  // 3. Examples: shots+queries distinct examples of each label's class, support first.
  const int64_t image_bytes = height_ * width_ * channels_;
  const int64_t image_floats = image_bytes;
  const auto& infos = store_->classes();
  for (int64_t l = 0; l < ways; ++l) {
    const Choice& choice = choices[l];
    const auto data = store_->read_class(choice.class_index);
    const int64_t n = infos[choice.class_index].num_examples;
    if (static_cast<int64_t>(data->size()) != n * image_bytes)
      throw StoreError("EpisodeSampler: store '" + store_->path().string() + "': class " +
                       std::to_string(choice.class_index) + " has " + std::to_string(data->size()) +
                       " bytes, expected " + std::to_string(n * image_bytes));
    detail::draw_distinct(rng, n, shots + queries, s.picks.data(), s.swaps, s.dense);
    for (int64_t e = 0; e < shots + queries; ++e) {
      const uint8_t* src = data->data() + s.picks[e] * image_bytes;
      float* out = e < shots ? support + (l * shots + e) * image_floats
                             : query + (l * queries + e - shots) * image_floats;
      detail::convert_image(src, out, height_, width_, channels_, choice.rotation);
    }
    for (int64_t e = 0; e < shots; ++e) support_labels[l * shots + e] = l;
    for (int64_t e = 0; e < queries; ++e) query_labels[l * queries + e] = l;
  }
}

Episode EpisodeSampler::sample(int64_t step, int64_t task_index) const {
  std::vector<Choice> choices;
  Episode episode = filled_episode(
      spec_, channels_, height_, width_, task_index,
      [&](int64_t task, float* support, int64_t* support_labels, float* query, int64_t* query_labels) {
        fill(step, task, support, support_labels, query, query_labels, choices);
        std::vector<int64_t> classes;
        for (const Choice& c : choices) classes.push_back(c.class_index);
        return classes;
      });
  for (size_t l = 0; l < choices.size(); ++l) episode.rotations[l] = choices[l].rotation;
  return episode;
}

EpisodeBatch EpisodeSampler::sample_batch(int64_t step,
                                          const std::vector<int64_t>& task_indices) const {
  std::vector<Choice> choices;  // reused across the tasks
  return filled_batch(spec_, channels_, height_, width_, step, task_indices,
                      [&](int64_t task, float* support, int64_t* support_labels, float* query, int64_t* query_labels) {
                        fill(step, task, support, support_labels, query, query_labels, choices);
                        return std::vector<int64_t>{};  // a batch keeps no classes
                      });
}

}  // namespace cz::data
