// CACTUs: embed the unlabelled train split, cluster it into partitions, draw episodes of clusters.
#include "cezanne/train/Cactus.hpp"

#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "cezanne/data/PooledEpisodes.hpp"
#include "cezanne/dist/RankDevice.hpp"
#include "cezanne/tensor/Random.hpp"
#include "cezanne/train/Checkpoint.hpp"
#include "cezanne/train/Clustering.hpp"
#include "cezanne/train/EmbeddingEvaluation.hpp"
#include "cezanne/train/Trainer.hpp"

namespace cz::train {

CactusEncoder load_cactus_encoder(const TrainConfig& config, const std::shared_ptr<data::Store>& store) {
  const std::string who = "--encoder " + config.encoder + ": ";
  Checkpoint checkpoint;
  try {
    checkpoint = read_checkpoint(config.encoder);
  } catch (const std::exception& e) {
    throw std::invalid_argument(who + e.what());
  }
  // The encoder's own model on this run's store, its train classes as the examples.
  RunPlan encoder;
  encoder.config = from_pairs(checkpoint.config);
  if (!is_unlabelled(encoder.config))
    throw std::invalid_argument(who + "a checkpoint of '" + checkpoint.algorithm +
                                "', not of an objective on unlabelled examples (vae)");
  encoder.config.store = config.store;
  encoder.config.split_by = "class";
  encoder.config.examples_per_task = 1;
  encoder.store = store;
  encoder.image = store->shape();
  encoder.eval_split = data::Split::train;
  try {
    plan_unlabelled(encoder);
    learn::check_loadable(checkpoint.algorithm, checkpoint_specs(checkpoint), encoder.algorithm(), encoder.specs());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(who + e.what());
  }
  CactusEncoder out;
  out.path = config.encoder;
  out.params = std::make_shared<nn::Params>(encoder.specs(), DType::f32, dist::rank_device(config.device));
  load_parameters(checkpoint, *out.params);
  for (size_t i = 0; i < out.params->size(); ++i) {
    out.fingerprint = mix_key({out.fingerprint, static_cast<uint64_t>(i)});
    for (const float v : (*out.params)[i].data().to(Device::cpu()).to_f32_vector()) {
      uint32_t bits = 0;
      std::memcpy(&bits, &v, sizeof bits);
      out.fingerprint = mix_key({out.fingerprint, bits});
    }
  }
  out.objective = std::move(encoder.unlabelled);
  out.examples = encoder.eval_examples;
  if (out.examples->num_examples() < config.clusters)
    throw std::invalid_argument("--clusters " + std::to_string(config.clusters) + ": more than the " +
                                std::to_string(out.examples->num_examples()) + " examples of the train split of --store " +
                                config.store);
  return out;
}

namespace {

// What a cache of partitions must have been made with to be used.
std::vector<std::pair<std::string, std::string>> cache_key(const TrainConfig& config, const CactusEncoder& encoder) {
  return {{"encoder", encoder.path},
          {"encoder-fingerprint", std::to_string(encoder.fingerprint)},
          {"store", config.store},
          {"examples", std::to_string(encoder.examples->num_examples())},
          {"partitions", std::to_string(config.partitions)},
          {"clusters", std::to_string(config.clusters)},
          {"kmeans-iterations", std::to_string(config.kmeans_iterations)},
          {"seed", std::to_string(config.seed)}};
}

// The cached partitions when `path` holds a valid cache made the same way; empty otherwise.
std::vector<std::vector<int64_t>> read_cache(const std::filesystem::path& path,
                                             const std::vector<std::pair<std::string, std::string>>& key,
                                             int64_t examples) {
  if (!std::filesystem::exists(path)) return {};
  Checkpoint c;
  try {
    c = read_checkpoint(path);
  } catch (const CheckpointError&) {
    return {};  // damaged: clustered again and rewritten
  }
  if (c.algorithm != "cactus" || c.config != key) return {};
  std::vector<std::vector<int64_t>> out;
  for (const auto& [name, t] : c.params) {
    if (t.dtype() != DType::i64 || t.numel() != examples) return {};
    out.push_back(t.to_i64_vector());
  }
  return out;
}

}  // namespace

std::shared_ptr<const data::EpisodeSource> cactus_episodes(const TrainConfig& config, const CactusEncoder& encoder,
                                                           const std::shared_ptr<data::Store>& store,
                                                           dist::Communicator& comm) {
  const std::filesystem::path cache = std::filesystem::path(config.out) / "cactus.h5";
  const auto key = cache_key(config, encoder);
  const int64_t n = encoder.examples->num_examples();
  std::vector<std::vector<int64_t>> assignments = read_cache(cache, key, n);
  // Every rank must use the cache, or none (a rank that cannot see it would cluster alone).
  const bool cached = comm.allreduce_value<int32_t>(assignments.empty() ? 0 : 1, dist::ReduceOp::min) == 1;
  int64_t width = 0;
  if (!cached) {
    const EmbeddedExamples embedded = embed_examples(*encoder.objective, encoder.params->list(), *encoder.examples, &comm);
    width = embedded.width;
    assignments = cluster_partitions(embedded.points(),
                                     {.clusters = config.clusters,
                                      .partitions = config.partitions,
                                      .iterations = config.kmeans_iterations,
                                      .seed = config.seed},
                                     &comm);
    if (comm.rank() == 0) {
      Checkpoint c;
      c.seed = config.seed;
      c.ranks = comm.size();
      c.algorithm = "cactus";
      c.model = "k-means partitions of " + encoder.objective->description();
      c.config = key;
      for (size_t p = 0; p < assignments.size(); ++p)
        c.params.emplace_back("partition" + std::to_string(p), Tensor::from_i64(assignments[p], {n}));
      write_checkpoint(cache, c);
    }
  }
  data::Partitions partitions;
  // Clusters too small for an episode are never drawn: say how many are usable.
  int64_t usable = 0;
  for (const std::vector<int64_t>& assignment : assignments) {
    std::vector<std::vector<data::ExampleRef>> pools(static_cast<size_t>(config.clusters));
    for (int64_t i = 0; i < n; ++i) pools[assignment[i]].push_back(encoder.examples->reference(i));
    for (const auto& pool : pools) usable += static_cast<int64_t>(pool.size()) >= config.shots + config.queries;
    partitions.push_back(std::move(pools));
  }
  if (comm.rank() == 0)
    std::cerr << "cactus: " << n << " train examples "
              << (cached ? "clustered before (" + cache.string() + ")"
                         : "embedded (" + std::to_string(width) + " features) by " + encoder.path)
              << "; " << config.partitions << " k-means partition(s) of " << config.clusters
              << " clusters, " << usable << " of them with at least shots+queries = " << config.shots + config.queries
              << " examples\n";
  return std::make_shared<data::PooledEpisodes>(store, std::move(partitions), episode_spec(config), config.seed,
                                                "--clusters " + std::to_string(config.clusters));
}

}  // namespace cz::train
