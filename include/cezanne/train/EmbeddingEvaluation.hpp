// The protocols for a pre-trained embedding without labels in pre-training (docs/pretraining.md):
// few-shot episodes by nearest centroid, k-NN accuracy and a linear probe, over the ranks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "cezanne/data/EpisodeSource.hpp"
#include "cezanne/data/ExampleRef.hpp"
#include "cezanne/data/ExampleSplit.hpp"
#include "cezanne/data/UnlabelledSource.hpp"
#include "cezanne/dist/Communicator.hpp"
#include "cezanne/learn/Evaluation.hpp"
#include "cezanne/learn/FrozenEmbedding.hpp"
#include "cezanne/learn/KMeans.hpp"
#include "cezanne/learn/UnlabelledObjective.hpp"

namespace cz::train {

/// Every example of a split embedded: row i (f64) is example i of the source, with its address.
struct EmbeddedExamples {
  std::vector<double> values;  ///< [n, width] row-major
  int64_t n = 0, width = 0;
  std::vector<data::ExampleRef> refs;

  learn::Points points() const { return {values.data(), n, width}; }
  /// Rows `rows` as f64 [rows.size(), width] and their store classes as i64.
  Tensor rows(const std::vector<int64_t>& rows) const;
  Tensor classes(const std::vector<int64_t>& rows) const;
};

/// objective.embed of every example of `source` without history, in batches of 256: rank r of
/// P embeds owned_tasks(n, r, P) and one allreduce (each value from one rank) gives every rank
/// every row, the same as one process. `before_each` runs before each of this rank's batches.
EmbeddedExamples embed_examples(const learn::UnlabelledObjective& objective, const nn::ParamList& theta,
                                const data::UnlabelledSource& source, dist::Communicator* comm = nullptr,
                                const std::function<void()>& before_each = {});

/// The frozen-embedding few-shot protocol: `episodes` episodes of `source` (episode i is task i
/// of step 0), each scored by learn::nearest_centroid_accuracy, summarized as train::evaluate.
learn::EvalResult evaluate_nearest_centroid(const learn::UnlabelledObjective& objective, const nn::ParamList& theta,
                                            const data::EpisodeSource& source, int64_t episodes,
                                            dist::Communicator* comm = nullptr,
                                            const std::function<void()>& before_each = {});

/// A protocol's accuracy over `queries` query examples, with the normal approximation of a
/// binomial proportion's 95% interval, 1.96 sqrt(p (1 - p) / queries).
struct Accuracy {
  double accuracy = 0.0, ci95 = 0.0;
  int64_t queries = 0, memory = 0;
};

/// k-NN accuracy (learn::knn_accuracy with labels the store classes). Without `memory` (a store
/// split by class): leave-one-out among the examples of `queries` (the held-out classes). With
/// `memory` (a store split by example): the memory's examples (the train part) are the
/// neighbours of the queries' (the evaluated part).
Accuracy knn_protocol(const EmbeddedExamples& queries, const EmbeddedExamples* memory, int64_t k);

/// The linear probe (learn::linear_probe_accuracy with the default ProbeRecipe; labels the store
/// classes numbered in ascending order). Without `memory`: each class of `queries` is split by
/// data::split_examples(parts) — its train and val parts train the probe, its test part is
/// scored — since held-out classes have no other labelled examples. With `memory`: trained on
/// the memory, scored on the queries.
Accuracy probe_protocol(const EmbeddedExamples& queries, const EmbeddedExamples* memory, const data::Store& store,
                        const data::ExampleSplit& parts, learn::ProbeRecipe recipe = {});

}  // namespace cz::train
