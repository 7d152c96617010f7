// k-means++ and Lloyd's steps with fixed summation orders, for results independent of ranks.
#include "cezanne/learn/KMeans.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "cezanne/tensor/Random.hpp"

namespace cz::learn {

double squared_distance(const double* a, const double* b, int64_t d) {
  double s = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    const double diff = a[k] - b[k];
    s += diff * diff;
  }
  return s;
}

std::vector<double> kmeans_plus_plus(const Points& points, int64_t k, uint64_t key) {
  if (k < 1 || k > points.n)
    throw std::invalid_argument("k-means++: " + std::to_string(k) + " clusters for " + std::to_string(points.n) +
                                " points");
  CounterRng rng(key);
  std::vector<double> centroids;
  centroids.reserve(static_cast<size_t>(k * points.d));
  std::vector<double> nearest(static_cast<size_t>(points.n), std::numeric_limits<double>::infinity());
  std::vector<bool> chosen(static_cast<size_t>(points.n), false);
  int64_t pick = static_cast<int64_t>(rng.below(static_cast<uint64_t>(points.n)));
  for (int64_t c = 0; c < k; ++c) {
    if (c > 0) {
      double total = 0.0;
      for (const double v : nearest) total += v;
      const double u = rng.uniform() * total;
      pick = -1;
      if (total > 0.0) {
        double running = 0.0;
        for (int64_t i = 0; i < points.n && pick < 0; ++i) {
          running += nearest[i];
          if (nearest[i] > 0.0 && u < running) pick = i;
        }
        // Round-off can leave u at the very end of the sum: the last point with weight.
        for (int64_t i = points.n - 1; pick < 0 && i >= 0; --i)
          if (nearest[i] > 0.0) pick = i;
      } else {
        for (int64_t i = 0; i < points.n && pick < 0; ++i)
          if (!chosen[i]) pick = i;
      }
    }
    chosen[pick] = true;
    const double* centre = points.row(pick);
    centroids.insert(centroids.end(), centre, centre + points.d);
    for (int64_t i = 0; i < points.n; ++i)
      nearest[i] = std::min(nearest[i], squared_distance(points.row(i), centre, points.d));
  }
  return centroids;
}

void assign_clusters(const Points& points, const std::vector<double>& centroids, int64_t k, int64_t begin,
                     int64_t end, int64_t* assignment, double* distance) {
  for (int64_t i = begin; i < end; ++i) {
    double best = std::numeric_limits<double>::infinity();
    int64_t cluster = 0;
    for (int64_t c = 0; c < k; ++c) {
      const double s = squared_distance(points.row(i), centroids.data() + c * points.d, points.d);
      if (s < best) {
        best = s;
        cluster = c;
      }
    }
    assignment[i - begin] = cluster;
    distance[i - begin] = best;
  }
}

std::vector<double> update_centroids(const Points& points, const std::vector<int64_t>& assignment,
                                     const std::vector<double>& distance, int64_t k) {
  const int64_t d = points.d;
  std::vector<double> centroids(static_cast<size_t>(k * d), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(k), 0);
  for (int64_t i = 0; i < points.n; ++i) {
    const int64_t c = assignment[i];
    ++count[c];
    for (int64_t j = 0; j < d; ++j) centroids[c * d + j] += points.row(i)[j];
  }
  std::vector<bool> taken(static_cast<size_t>(points.n), false);
  for (int64_t c = 0; c < k; ++c) {
    if (count[c] > 0) {
      for (int64_t j = 0; j < d; ++j) centroids[c * d + j] /= static_cast<double>(count[c]);
      continue;
    }
    int64_t farthest = -1;
    for (int64_t i = 0; i < points.n; ++i)
      if (!taken[i] && (farthest < 0 || distance[i] > distance[farthest])) farthest = i;
    if (farthest < 0) continue;  // more clusters than points: never, k-means++ refuses k > n
    taken[farthest] = true;
    for (int64_t j = 0; j < d; ++j) centroids[c * d + j] = points.row(farthest)[j];
  }
  return centroids;
}

}  // namespace cz::learn
