// k-means on embeddings (notes: "Unsupervised task construction", CACTUs): k-means++ seeding and
// Lloyd's iterations as pure functions, so that ranks can share the assignment and agree bitwise.
#pragma once

#include <cstdint>
#include <vector>

namespace cz::learn {

/// n points of d features, row-major doubles; a view (the caller owns the values).
struct Points {
  const double* values = nullptr;
  int64_t n = 0, d = 0;
  const double* row(int64_t i) const { return values + i * d; }
};

/// Squared Euclidean distance of two rows of d features, summed in feature order.
double squared_distance(const double* a, const double* b, int64_t d);

/// k-means++ seeding (Arthur & Vassilvitskii 2007): the first centroid is a uniform draw, each
/// next one a point drawn with probability proportional to its squared distance to the nearest
/// centroid so far (one draw u in [0, 1) of a CounterRng keyed by `key` per centroid, located in
/// the running sum over points in index order). When every remaining distance is 0 (fewer
/// distinct points than k) the lowest-index point not yet chosen is taken. Returns the k
/// centroids [k, d] row-major. Throws std::invalid_argument when k < 1 or k > n.
std::vector<double> kmeans_plus_plus(const Points& points, int64_t k, uint64_t key);

/// The assignment step for points [begin, end): the nearest centroid (ties: the lower index)
/// and its squared distance, written at assignment[i - begin] and distance[i - begin]. Each
/// point's result depends on that point and the centroids only, so any split of the points over
/// ranks gives the same values.
void assign_clusters(const Points& points, const std::vector<double>& centroids, int64_t k, int64_t begin,
                     int64_t end, int64_t* assignment, double* distance);

/// The update step from every point's assignment and distance [n]: each centroid is the mean of
/// its points, summed in index order. An empty cluster is re-seeded deterministically with the
/// point farthest from its own centroid (ties: the lower index), taking empty clusters in index
/// order and each point at most once, as scikit-learn relocates them. Returns [k, d].
std::vector<double> update_centroids(const Points& points, const std::vector<int64_t>& assignment,
                                     const std::vector<double>& distance, int64_t k);

}  // namespace cz::learn
