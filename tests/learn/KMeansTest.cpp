// k-means++ seeding and Lloyd's steps against hand-computed values and the D^2 distribution.
#include "cezanne/learn/KMeans.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "cezanne/tensor/Random.hpp"

namespace cz::learn {
namespace {

TEST(KMeans, AssignmentAndUpdateByHand) {
  const std::vector<double> x{0, 1, 10, 11, 20};
  const Points points{x.data(), 5, 1};
  std::vector<int64_t> assignment(5);
  std::vector<double> distance(5);
  assign_clusters(points, {0.0, 11.0}, 2, 0, 5, assignment.data(), distance.data());
  EXPECT_EQ(assignment, (std::vector<int64_t>{0, 0, 1, 1, 1}));
  EXPECT_EQ(distance, (std::vector<double>{0, 1, 1, 0, 81}));
  const std::vector<double> c = update_centroids(points, assignment, distance, 2);
  EXPECT_DOUBLE_EQ(c[0], 0.5);
  EXPECT_DOUBLE_EQ(c[1], 41.0 / 3.0);
  // A part of the points writes its own slots only.
  std::vector<int64_t> part(2);
  std::vector<double> part_distance(2);
  assign_clusters(points, {0.0, 11.0}, 2, 3, 5, part.data(), part_distance.data());
  EXPECT_EQ(part, (std::vector<int64_t>{1, 1}));
}

TEST(KMeans, TiesGoToTheLowerCentroid) {
  const std::vector<double> x{5};
  std::vector<int64_t> a(1);
  std::vector<double> s(1);
  assign_clusters({x.data(), 1, 1}, {4.0, 6.0}, 2, 0, 1, a.data(), s.data());
  EXPECT_EQ(a[0], 0);
}

TEST(KMeans, EmptyClusterTakesTheFarthestPoint) {
  const std::vector<double> x{0, 1, 10, 11, 20};
  const Points points{x.data(), 5, 1};
  std::vector<int64_t> assignment(5);
  std::vector<double> distance(5);
  assign_clusters(points, {0.0, 11.0, 100.0}, 3, 0, 5, assignment.data(), distance.data());
  EXPECT_EQ(assignment, (std::vector<int64_t>{0, 0, 1, 1, 1}));  // cluster 2 is empty
  const std::vector<double> c = update_centroids(points, assignment, distance, 3);
  EXPECT_DOUBLE_EQ(c[0], 0.5);
  EXPECT_DOUBLE_EQ(c[1], 41.0 / 3.0);
  EXPECT_DOUBLE_EQ(c[2], 20.0);  // the point farthest from its centroid (81)
}

TEST(KMeans, SeedingFollowsTheSquaredDistance) {
  // Points 0, 1, 3: after a first centroid at point i, point j comes next with probability
  // (x_j - x_i)^2 / sum_k (x_k - x_i)^2.
  const std::vector<double> x{0, 1, 3};
  const Points points{x.data(), 3, 1};
  double count[3][3] = {};
  double first[3] = {};
  const int trials = 30000;
  for (int t = 0; t < trials; ++t) {
    const std::vector<double> c = kmeans_plus_plus(points, 2, mix_key({99, static_cast<uint64_t>(t)}));
    const auto i = static_cast<int>(c[0] == 0 ? 0 : c[0] == 1 ? 1 : 2);
    const auto j = static_cast<int>(c[1] == 0 ? 0 : c[1] == 1 ? 1 : 2);
    ASSERT_NE(i, j);
    ++first[i];
    ++count[i][j];
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(first[i] / trials, 1.0 / 3.0, 0.015) << "first " << i;
    double total = 0;
    for (int j = 0; j < 3; ++j) total += (x[j] - x[i]) * (x[j] - x[i]);
    for (int j = 0; j < 3; ++j)
      EXPECT_NEAR(count[i][j] / first[i], (x[j] - x[i]) * (x[j] - x[i]) / total, 0.02) << i << " -> " << j;
  }
}

TEST(KMeans, SeedingIsDeterministicAndTakesDuplicatesLast) {
  const std::vector<double> x{2, 2, 2, 7};
  const Points points{x.data(), 4, 1};
  EXPECT_EQ(kmeans_plus_plus(points, 3, 5), kmeans_plus_plus(points, 3, 5));
  // Two distinct values for three centroids: both distinct values, then a duplicate.
  for (uint64_t key = 0; key < 20; ++key) {
    const std::vector<double> c = kmeans_plus_plus(points, 3, key);
    EXPECT_NE(c[0], c[1]) << key;
    EXPECT_EQ(c[2], 2.0) << key;
  }
  EXPECT_THROW(kmeans_plus_plus(points, 5, 1), std::invalid_argument);
  EXPECT_THROW(kmeans_plus_plus(points, 0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace cz::learn
