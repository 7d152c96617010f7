// The tensors of sources that fill one task at a time.
#include "cezanne/data/EpisodeSource.hpp"

namespace cz::data {

Episode filled_episode(const EpisodeSpec& spec, int64_t channels, int64_t height, int64_t width, int64_t task_index,
                       const FillTask& fill) {
  const int64_t ws = int64_t{spec.ways} * spec.shots, wq = int64_t{spec.ways} * spec.queries;
  Episode episode;
  episode.support = Tensor::empty({ws, channels, height, width}, DType::f32);
  episode.support_labels = Tensor::empty({ws}, DType::i64);
  episode.query = Tensor::empty({wq, channels, height, width}, DType::f32);
  episode.query_labels = Tensor::empty({wq}, DType::i64);
  episode.task_index = task_index;
  episode.classes = fill(task_index, episode.support.data<float>(), episode.support_labels.data<int64_t>(),
                         episode.query.data<float>(), episode.query_labels.data<int64_t>());
  episode.rotations.assign(episode.classes.size(), 0);
  return episode;
}

EpisodeBatch filled_batch(const EpisodeSpec& spec, int64_t channels, int64_t height, int64_t width, int64_t step,
                          const std::vector<int64_t>& task_indices, const FillTask& fill) {
  const auto tasks = static_cast<int64_t>(task_indices.size());
  const int64_t ws = int64_t{spec.ways} * spec.shots, wq = int64_t{spec.ways} * spec.queries;
  const int64_t image = channels * height * width;
  EpisodeBatch batch;
  batch.support = Tensor::empty({tasks, ws, channels, height, width}, DType::f32);
  batch.support_labels = Tensor::empty({tasks, ws}, DType::i64);
  batch.query = Tensor::empty({tasks, wq, channels, height, width}, DType::f32);
  batch.query_labels = Tensor::empty({tasks, wq}, DType::i64);
  batch.task_indices = task_indices;
  batch.step = step;
  if (tasks == 0) return batch;
  for (int64_t t = 0; t < tasks; ++t)
    fill(task_indices[t], batch.support.data<float>() + t * ws * image, batch.support_labels.data<int64_t>() + t * ws,
         batch.query.data<float>() + t * wq * image, batch.query_labels.data<int64_t>() + t * wq);
  return batch;
}

}  // namespace cz::data
