// Many k-means partitions of embeddings over the ranks of a run (CACTUs' pseudo-classes).
#pragma once

#include <cstdint>
#include <vector>

#include "cezanne/dist/Communicator.hpp"
#include "cezanne/learn/KMeans.hpp"

namespace cz::train {

struct ClusteringOptions {
  int64_t clusters = 500;    ///< k of every partition
  int64_t partitions = 1;    ///< independent k-means runs, each seeded by mix_key({seed, p})
  int64_t iterations = 50;   ///< at most this many Lloyd iterations (fewer when the assignment is stable)
  uint64_t seed = 0;
};

/// `partitions` k-means clusterings of the same points (every rank holds all of them), each a
/// vector of n cluster ids in point order. Per partition: k-means++ seeding (the same on every
/// rank: a pure function of the points and the key), then Lloyd's iterations in which rank r of P
/// assigns its points owned_tasks(n, r, P) and one allreduce (each value written by one rank,
/// zero elsewhere: exact) gives every rank every assignment; the centroids are then summed in
/// point order. So 1, 2 or 4 ranks give bitwise the same partitions. Throws
/// std::invalid_argument when clusters < 1, clusters > n, partitions < 1 or iterations < 1.
std::vector<std::vector<int64_t>> cluster_partitions(const learn::Points& points, const ClusteringOptions& options,
                                                     dist::Communicator* comm = nullptr);

}  // namespace cz::train
