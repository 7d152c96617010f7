// CACTUs (Hsu et al. 2019, notes: "Unsupervised task construction"): meta-learning episodes whose
// classes are k-means clusters of a pre-trained encoder's embedding of the unlabelled train split.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cezanne/data/EpisodeSource.hpp"
#include "cezanne/data/Store.hpp"
#include "cezanne/data/UnlabelledSource.hpp"
#include "cezanne/dist/Communicator.hpp"
#include "cezanne/learn/UnlabelledObjective.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/train/TrainConfig.hpp"

namespace cz::train {

/// The encoder of a CACTUs run, loaded and checked before any rank starts: the objective of the
/// --encoder checkpoint, its parameters, and the examples it embeds (the train classes of the
/// run's store; their labels are never read).
struct CactusEncoder {
  std::string path;
  std::unique_ptr<learn::UnlabelledObjective> objective;
  std::shared_ptr<nn::Params> params;
  std::shared_ptr<const data::UnlabelledSource> examples;
  /// A hash of the encoder's parameter values: the cache of partitions is valid for these only.
  uint64_t fingerprint = 0;
};

/// Loads config.encoder for a run on `store`. Throws std::invalid_argument with one line
/// "--encoder PATH: ..." when the file is not a readable checkpoint, is not of an objective on
/// unlabelled examples, or does not fit the store's images; "--clusters K: ..." when the train
/// split has fewer than K examples.
CactusEncoder load_cactus_encoder(const TrainConfig& config, const std::shared_ptr<data::Store>& store);

/// The run's training episodes: the encoder embeds every example of the train split
/// (embed_examples), cluster_partitions makes config.partitions partitions of config.clusters
/// clusters (seed config.seed, at most config.kmeans_iterations Lloyd iterations), and a
/// data::PooledEpisodes draws episode options (--ways --shots --queries) from them. Both steps are
/// spread over the ranks of `comm` and give every rank the same partitions as one process. Rank 0
/// caches them in `<config.out>/cactus.h5` (a checkpoint file: atomic, checksummed; algorithm
/// "cactus", one i64 tensor per partition) with what made them (encoder path and fingerprint,
/// store, examples, options); a later run on the same --out (a resumed or requeued one) whose
/// every rank reads a cache made the same way uses it instead of clustering again, so it draws
/// the same episodes as an uninterrupted run. A damaged or different cache is recomputed and
/// rewritten.
/// Throws std::invalid_argument when a partition has fewer than --ways clusters of at least
/// shots + queries examples.
std::shared_ptr<const data::EpisodeSource> cactus_episodes(const TrainConfig& config, const CactusEncoder& encoder,
                                                           const std::shared_ptr<data::Store>& store,
                                                           dist::Communicator& comm);

}  // namespace cz::train
