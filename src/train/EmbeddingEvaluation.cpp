// Frozen-embedding protocols: embeddings shared over ranks once, then the same computation on
// every rank (k-NN, the probe) or episodes split by index (few-shot).
#include "cezanne/train/EmbeddingEvaluation.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <span>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/train/Evaluation.hpp"

namespace cz::train {
namespace {

constexpr int64_t kBatch = 256;

Accuracy accuracy_of(double p, int64_t queries, int64_t memory) {
  return {p, 1.96 * std::sqrt(p * (1.0 - p) / static_cast<double>(std::max<int64_t>(queries, 1))), queries, memory};
}

std::vector<int64_t> all_rows(const EmbeddedExamples& e) {
  std::vector<int64_t> rows(static_cast<size_t>(e.n));
  for (int64_t i = 0; i < e.n; ++i) rows[i] = i;
  return rows;
}

}  // namespace

Tensor EmbeddedExamples::rows(const std::vector<int64_t>& which) const {
  std::vector<double> out;
  out.reserve(which.size() * static_cast<size_t>(width));
  for (const int64_t i : which) out.insert(out.end(), values.begin() + i * width, values.begin() + (i + 1) * width);
  return Tensor::from(out, {static_cast<int64_t>(which.size()), width}, DType::f64);
}

Tensor EmbeddedExamples::classes(const std::vector<int64_t>& which) const {
  std::vector<int64_t> out;
  for (const int64_t i : which) out.push_back(refs[i].class_index);
  return Tensor::from_i64(out, {static_cast<int64_t>(which.size())});
}

EmbeddedExamples embed_examples(const learn::UnlabelledObjective& objective, const nn::ParamList& theta,
                                const data::UnlabelledSource& source, dist::Communicator* comm,
                                const std::function<void()>& before_each) {
  NoGradGuard no_grad;
  EmbeddedExamples e;
  e.n = source.num_examples();
  for (int64_t i = 0; i < e.n; ++i) e.refs.push_back(source.reference(i));
  const Device device = theta.front().device();
  const Tensor first = source.example(0);
  const Shape image(first.shape().begin() + 2, first.shape().end());  // [C, H, W]
  const int64_t image_floats = first.numel();
  // Every rank learns the width from the same example, whatever its share.
  e.width = objective.embed(theta, first.reshape({1, image[0], image[1], image[2]}).to(device)).data().size(1);
  e.values.assign(static_cast<size_t>(e.n * e.width), 0.0);
  const std::vector<int64_t> mine = owned_tasks(e.n, comm ? comm->rank() : 0, comm ? comm->size() : 1);
  for (size_t b = 0; b < mine.size(); b += kBatch) {
    if (before_each) before_each();
    const auto count = static_cast<int64_t>(std::min<size_t>(kBatch, mine.size() - b));
    Tensor batch = Tensor::empty({count, image[0], image[1], image[2]}, DType::f32);
    for (int64_t j = 0; j < count; ++j)
      std::memcpy(batch.data<float>() + j * image_floats, source.example(mine[b + j]).data<float>(),
                  sizeof(float) * static_cast<size_t>(image_floats));
    const std::vector<double> rows = objective.embed(theta, batch.to(device)).data().to(Device::cpu()).to_vector();
    std::copy(rows.begin(), rows.end(), e.values.begin() + mine[b] * e.width);
  }
  // Each row written by one rank, zeros elsewhere: the sum is exact.
  if (comm && comm->size() > 1) comm->allreduce_sum(std::span<double>(e.values));
  return e;
}

learn::EvalResult evaluate_nearest_centroid(const learn::UnlabelledObjective& objective, const nn::ParamList& theta,
                                            const data::EpisodeSource& source, int64_t episodes,
                                            dist::Communicator* comm, const std::function<void()>& before_each) {
  return evaluate_episodes(
      [&](int64_t i) {
        if (before_each) before_each();
        return learn::nearest_centroid_accuracy(objective, theta, source.sample(0, i));
      },
      episodes, comm);
}

Accuracy knn_protocol(const EmbeddedExamples& queries, const EmbeddedExamples* memory, int64_t k) {
  const std::vector<int64_t> q = all_rows(queries);
  if (!memory)
    return accuracy_of(learn::knn_accuracy(queries.rows(q), queries.classes(q), queries.rows(q), queries.classes(q), k,
                                           true),
                       queries.n, queries.n);
  const std::vector<int64_t> m = all_rows(*memory);
  return accuracy_of(
      learn::knn_accuracy(memory->rows(m), memory->classes(m), queries.rows(q), queries.classes(q), k, false),
      queries.n, memory->n);
}

Accuracy probe_protocol(const EmbeddedExamples& queries, const EmbeddedExamples* memory, const data::Store& store,
                        const data::ExampleSplit& parts, learn::ProbeRecipe recipe) {
  // Training rows (of `memory`, or of `queries` itself) and scored rows of `queries`.
  const EmbeddedExamples& train = memory ? *memory : queries;
  std::vector<int64_t> train_rows, test_rows;
  if (memory) {
    train_rows = all_rows(*memory);
    test_rows = all_rows(queries);
  } else {
    std::map<int64_t, std::vector<bool>> is_test;  // per class: position -> in its test part
    for (int64_t i = 0; i < queries.n; ++i) {
      const data::ExampleRef& r = queries.refs[i];
      auto [it, fresh] = is_test.try_emplace(r.class_index);
      if (fresh) {
        const int64_t n = store.classes()[r.class_index].num_examples;
        it->second.assign(static_cast<size_t>(n), false);
        for (const int64_t p : data::split_examples(parts, r.class_index, n, data::Split::test)) it->second[p] = true;
      }
      (it->second[r.position] ? test_rows : train_rows).push_back(i);
    }
  }
  // Classes numbered 0..C-1 in ascending store order.
  std::map<int64_t, int64_t> label;
  for (const EmbeddedExamples* e : {&queries, memory})
    if (e)
      for (const data::ExampleRef& r : e->refs) label.emplace(r.class_index, 0);
  int64_t next = 0;
  for (auto& [c, l] : label) l = next++;
  auto labels = [&](const EmbeddedExamples& e, const std::vector<int64_t>& rows) {
    std::vector<int64_t> out;
    for (const int64_t i : rows) out.push_back(label[e.refs[i].class_index]);
    return Tensor::from_i64(out, {static_cast<int64_t>(rows.size())});
  };
  const double p = learn::linear_probe_accuracy(train.rows(train_rows), labels(train, train_rows),
                                                queries.rows(test_rows), labels(queries, test_rows), next, recipe);
  return accuracy_of(p, static_cast<int64_t>(test_rows.size()), static_cast<int64_t>(train_rows.size()));
}

}  // namespace cz::train
