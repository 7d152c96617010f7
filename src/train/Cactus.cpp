// CACTUs: embed the unlabelled train split, cluster it into partitions, draw episodes of clusters.
#include "cezanne/train/Cactus.hpp"

#include <iostream>
#include <stdexcept>

#include "cezanne/data/PooledEpisodes.hpp"
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
  out.params = std::make_shared<nn::Params>(encoder.specs(), DType::f32, parse_device(config.device));
  load_parameters(checkpoint, *out.params);
  out.objective = std::move(encoder.unlabelled);
  out.examples = encoder.eval_examples;
  if (out.examples->num_examples() < config.clusters)
    throw std::invalid_argument("--clusters " + std::to_string(config.clusters) + ": more than the " +
                                std::to_string(out.examples->num_examples()) + " examples of the train split of --store " +
                                config.store);
  return out;
}

std::shared_ptr<const data::EpisodeSource> cactus_episodes(const TrainConfig& config, const CactusEncoder& encoder,
                                                           const std::shared_ptr<data::Store>& store,
                                                           dist::Communicator& comm) {
  const EmbeddedExamples embedded = embed_examples(*encoder.objective, encoder.params->list(), *encoder.examples, &comm);
  const std::vector<std::vector<int64_t>> assignments = cluster_partitions(
      embedded.points(),
      {.clusters = config.clusters, .partitions = config.partitions, .iterations = config.kmeans_iterations, .seed = config.seed},
      &comm);
  data::Partitions partitions;
  // Clusters too small for an episode are never drawn: say how many are usable.
  int64_t usable = 0;
  for (const std::vector<int64_t>& assignment : assignments) {
    std::vector<std::vector<data::ExampleRef>> pools(static_cast<size_t>(config.clusters));
    for (int64_t i = 0; i < embedded.n; ++i) pools[assignment[i]].push_back(embedded.refs[i]);
    for (const auto& pool : pools) usable += static_cast<int64_t>(pool.size()) >= config.shots + config.queries;
    partitions.push_back(std::move(pools));
  }
  if (comm.rank() == 0)
    std::cerr << "cactus: " << embedded.n << " train examples embedded (" << embedded.width << " features) by "
              << encoder.path << "; " << config.partitions << " k-means partition(s) of " << config.clusters
              << " clusters, " << usable << " of them with at least shots+queries = " << config.shots + config.queries
              << " examples\n";
  return std::make_shared<data::PooledEpisodes>(store, std::move(partitions), episode_spec(config), config.seed,
                                                "--clusters " + std::to_string(config.clusters));
}

}  // namespace cz::train
