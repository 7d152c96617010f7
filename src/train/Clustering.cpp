// Distributed Lloyd iterations: the assignment step split by points, everything else redundant.
#include "cezanne/train/Clustering.hpp"

#include <span>
#include <stdexcept>
#include <string>

#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::train {

std::vector<std::vector<int64_t>> cluster_partitions(const learn::Points& points, const ClusteringOptions& options,
                                                     dist::Communicator* comm) {
  if (options.partitions < 1 || options.iterations < 1)
    throw std::invalid_argument("k-means: partitions and iterations must be >= 1, got " +
                                std::to_string(options.partitions) + " and " + std::to_string(options.iterations));
  const int rank = comm ? comm->rank() : 0, world = comm ? comm->size() : 1;
  const std::vector<int64_t> mine = owned_tasks(points.n, rank, world);
  const int64_t begin = mine.empty() ? 0 : mine.front(), end = mine.empty() ? 0 : mine.back() + 1;
  std::vector<std::vector<int64_t>> partitions;
  // Per point: its cluster, then its squared distance (n + n doubles, one allreduce).
  std::vector<double> shared(static_cast<size_t>(2 * points.n));
  std::vector<int64_t> local_assignment(static_cast<size_t>(end - begin));
  std::vector<double> local_distance(static_cast<size_t>(end - begin));
  for (int64_t p = 0; p < options.partitions; ++p) {
    std::vector<double> centroids =
        learn::kmeans_plus_plus(points, options.clusters, mix_key({options.seed, static_cast<uint64_t>(p)}));
    std::vector<int64_t> assignment(static_cast<size_t>(points.n), -1);
    std::vector<double> distance(static_cast<size_t>(points.n));
    for (int64_t iteration = 0; iteration < options.iterations; ++iteration) {
      learn::assign_clusters(points, centroids, options.clusters, begin, end, local_assignment.data(),
                             local_distance.data());
      std::fill(shared.begin(), shared.end(), 0.0);
      for (int64_t i = begin; i < end; ++i) {
        shared[i] = static_cast<double>(local_assignment[i - begin]);
        shared[points.n + i] = local_distance[i - begin];
      }
      if (comm && world > 1) comm->allreduce_sum(std::span<double>(shared));
      bool changed = false;
      for (int64_t i = 0; i < points.n; ++i) {
        const auto c = static_cast<int64_t>(shared[i]);
        changed = changed || c != assignment[i];
        assignment[i] = c;
        distance[i] = shared[points.n + i];
      }
      if (!changed) break;  // Lloyd's fixed point: the update would give the same centroids
      centroids = learn::update_centroids(points, assignment, distance, options.clusters);
    }
    partitions.push_back(std::move(assignment));
  }
  return partitions;
}

}  // namespace cz::train
