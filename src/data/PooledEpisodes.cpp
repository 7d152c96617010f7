// Episodes from pools of examples: the same draw and image conversion as EpisodeSampler.
#include "cezanne/data/PooledEpisodes.hpp"

#include <stdexcept>

#include "DrawDistinct.hpp"
#include "ImageConvert.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::data {
namespace {
// Separates these episodes' streams from EpisodeSampler's (whose second word is a split).
constexpr uint64_t kPooledStream = 0x706f6f6c6564ull;  // "pooled"
}  // namespace

PooledEpisodes::PooledEpisodes(std::shared_ptr<Store> store, Partitions partitions, EpisodeSpec spec, uint64_t seed,
                               const std::string& what)
    : store_(std::move(store)), partitions_(std::move(partitions)), spec_(spec), seed_(seed) {
  if (partitions_.empty()) throw std::invalid_argument(what + ": no partitions of examples");
  if (spec_.ways < 1 || spec_.shots < 1 || spec_.queries < 0)
    throw std::invalid_argument(what + ": ways and shots must be >= 1 and queries >= 0");
  const ImageShape shape = store_->shape();
  height_ = shape.height;
  width_ = shape.width;
  channels_ = shape.channels;
  const auto need = static_cast<size_t>(spec_.shots + spec_.queries);
  for (size_t p = 0; p < partitions_.size(); ++p) {
    std::vector<int64_t> eligible;
    for (size_t c = 0; c < partitions_[p].size(); ++c)
      if (partitions_[p][c].size() >= need) eligible.push_back(static_cast<int64_t>(c));
    if (static_cast<int64_t>(eligible.size()) < spec_.ways)
      throw std::invalid_argument(what + ": partition " + std::to_string(p) + " has " + std::to_string(eligible.size()) +
                                  " pools of at least shots+queries = " + std::to_string(need) +
                                  " examples, fewer than ways = " + std::to_string(spec_.ways));
    eligible_.push_back(std::move(eligible));
  }
}

std::vector<int64_t> PooledEpisodes::fill(int64_t step, int64_t task_index, float* support, int64_t* support_labels,
                                          float* query, int64_t* query_labels) const {
  CounterRng rng(
      mix_key({seed_, kPooledStream, static_cast<uint64_t>(step), static_cast<uint64_t>(task_index)}));
  const int64_t ways = spec_.ways, shots = spec_.shots, queries = spec_.queries;
  const size_t p = rng.below(partitions_.size());
  const std::vector<int64_t>& eligible = eligible_[p];
  std::vector<std::pair<int64_t, int64_t>> swaps;
  std::vector<int64_t> dense, picks(static_cast<size_t>(std::max(ways, shots + queries)));
  detail::draw_distinct(rng, static_cast<int64_t>(eligible.size()), ways, picks.data(), swaps, dense);
  std::vector<int64_t> pools(static_cast<size_t>(ways));
  for (int64_t l = 0; l < ways; ++l) pools[l] = eligible[picks[l]];
  const int64_t image = channels_ * height_ * width_;
  for (int64_t l = 0; l < ways; ++l) {
    const std::vector<ExampleRef>& pool = partitions_[p][pools[l]];
    detail::draw_distinct(rng, static_cast<int64_t>(pool.size()), shots + queries, picks.data(), swaps, dense);
    for (int64_t e = 0; e < shots + queries; ++e) {
      const ExampleRef& ref = pool[picks[e]];
      float* out = e < shots ? support + (l * shots + e) * image : query + (l * queries + e - shots) * image;
      detail::read_example(*store_, ref.class_index, ref.position, out, "PooledEpisodes");
    }
    for (int64_t e = 0; e < shots; ++e) support_labels[l * shots + e] = l;
    for (int64_t e = 0; e < queries; ++e) query_labels[l * queries + e] = l;
  }
  return pools;
}

Episode PooledEpisodes::sample(int64_t step, int64_t task_index) const {
  return filled_episode(spec_, channels_, height_, width_, task_index, [&](auto... rows) { return fill(step, rows...); });
}

EpisodeBatch PooledEpisodes::sample_batch(int64_t step, const std::vector<int64_t>& task_indices) const {
  return filled_batch(spec_, channels_, height_, width_, step, task_indices,
                      [&](auto... rows) { return fill(step, rows...); });
}

}  // namespace cz::data
