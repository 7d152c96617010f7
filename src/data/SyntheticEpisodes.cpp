// Random-image episodes for benchmarks: a pure function of (seed, task), made once per task list.
#include "cezanne/data/SyntheticEpisodes.hpp"

#include <stdexcept>
#include <string>

#include "cezanne/tensor/Ops.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::data {

SyntheticEpisodes::SyntheticEpisodes(SyntheticSpec spec, uint64_t seed) : spec_(spec), seed_(seed) {
  if (spec_.ways < 1 || spec_.shots < 1 || spec_.queries < 0 || spec_.channels < 1 || spec_.image < 1)
    throw std::invalid_argument("synthetic episodes: ways, shots, channels and image must be >= 1 and queries >= 0, got " +
                                std::to_string(spec_.ways) + ", " + std::to_string(spec_.shots) + ", " +
                                std::to_string(spec_.channels) + ", " + std::to_string(spec_.image) + " and " +
                                std::to_string(spec_.queries));
}

Episode SyntheticEpisodes::sample(int64_t step, int64_t task_index) const {
  const EpisodeBatch b = sample_batch(step, {task_index});
  Episode e;
  e.support = b.support.select(0, 0);
  e.support_labels = b.support_labels.select(0, 0);
  e.query = b.query.select(0, 0);
  e.query_labels = b.query_labels.select(0, 0);
  e.task_index = task_index;
  return e;
}

EpisodeBatch SyntheticEpisodes::sample_batch(int64_t step, const std::vector<int64_t>& task_indices) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto it = made_.find(task_indices); it != made_.end()) {
    EpisodeBatch b = it->second;
    b.step = step;
    return b;
  }
  const int64_t T = static_cast<int64_t>(task_indices.size()), n = spec_.ways * spec_.shots,
                q = spec_.ways * spec_.queries, c = spec_.channels, side = spec_.image;
  std::vector<Tensor> support, query;
  for (const int64_t t : task_indices) {
    const uint64_t key = mix_key({seed_, static_cast<uint64_t>(t)});
    support.push_back(Tensor::uniform({1, n, c, side, side}, 0, 1, key, 0));
    query.push_back(Tensor::uniform({1, q, c, side, side}, 0, 1, key, static_cast<uint64_t>(n) << 20));
  }
  EpisodeBatch b;
  b.support = cat(support, 0);
  b.query = cat(query, 0);
  std::vector<int64_t> sl, ql;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t k = 0; k < spec_.ways; ++k) {
      sl.insert(sl.end(), static_cast<size_t>(spec_.shots), k);
      ql.insert(ql.end(), static_cast<size_t>(spec_.queries), k);
    }
  b.support_labels = Tensor::from_i64(sl, {T, n});
  b.query_labels = Tensor::from_i64(ql, {T, q});
  b.task_indices = task_indices;
  made_.emplace(task_indices, b);
  b.step = step;
  return b;
}

}  // namespace cz::data
