// Frozen-embedding protocols against hand-computed values, and nearest centroid on the identity
// embedding against the nearest-pixels baseline.
#include "cezanne/learn/FrozenEmbedding.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "cezanne/learn/Evaluation.hpp"

namespace cz::learn {
namespace {

Tensor column(const std::vector<double>& v) { return Tensor::from(v, {static_cast<int64_t>(v.size()), 1}, DType::f64); }
Tensor labels(const std::vector<int64_t>& v) { return Tensor::from_i64(v, {static_cast<int64_t>(v.size())}); }

TEST(FrozenEmbedding, NearestCentroidByHand) {
  // Prototypes 1 (label 0: 0 and 2) and 11 (label 1: 10 and 12); 5.9 is nearer 1, 6.1 nearer 11.
  const double a = nearest_centroid_accuracy(column({0, 2, 10, 12}), labels({0, 0, 1, 1}), column({5.9, 6.1, 12, -3}),
                                             labels({0, 0, 1, 0}));
  EXPECT_DOUBLE_EQ(a, 0.75);
  // Equidistant from both prototypes: the lower label.
  EXPECT_DOUBLE_EQ(nearest_centroid_accuracy(column({0, 2, 10, 12}), labels({0, 0, 1, 1}), column({6}), labels({0})), 1.0);
}

TEST(FrozenEmbedding, OneShotIdentityIsTheNearestPixelsBaseline) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    data::Episode e;
    e.support = Tensor::uniform({5, 1, 4, 4}, 0, 1, seed, 0);
    e.support_labels = labels({0, 1, 2, 3, 4});
    e.query = Tensor::uniform({15, 1, 4, 4}, 0, 1, seed + 100, 0);
    std::vector<int64_t> q;
    for (int64_t i = 0; i < 15; ++i) q.push_back(i / 3);
    e.query_labels = labels(q);
    EXPECT_EQ(nearest_centroid_accuracy(e.support.reshape({5, 16}), e.support_labels, e.query.reshape({15, 16}),
                                        e.query_labels),
              nearest_pixels_accuracy(e))
        << "seed " << seed;
  }
}

TEST(FrozenEmbedding, KnnByHand) {
  const Tensor memory = column({0, 1, 2, 10, 11}), memory_labels = labels({0, 0, 1, 1, 1});
  // k = 1: 0.4 -> 0 (label 0), 1.6 -> 2 (label 1), 9 -> 10 (label 1).
  EXPECT_DOUBLE_EQ(knn_accuracy(memory, memory_labels, column({0.4, 1.6, 9}), labels({0, 0, 1}), 1, false), 2.0 / 3.0);
  // k = 3 at 1.6: neighbours 2 (1), 1 (0), 0 (0): label 0 by 2 votes to 1.
  EXPECT_DOUBLE_EQ(knn_accuracy(memory, memory_labels, column({1.6}), labels({0}), 3, false), 1.0);
  // k = 2 at 1.6: one vote each; the nearest member's class (2, label 1) wins.
  EXPECT_DOUBLE_EQ(knn_accuracy(memory, memory_labels, column({1.6}), labels({1}), 2, false), 1.0);
  // Leave one out, k = 1: 0 -> 1 (0 ok), 1 -> 0 (ok; 2 is as near but later), 2 -> 1 (label 0:
  // wrong), 10 -> 11 (ok), 11 -> 10 (ok).
  EXPECT_DOUBLE_EQ(knn_accuracy(memory, memory_labels, memory, memory_labels, 1, true), 0.8);
  EXPECT_THROW(knn_accuracy(memory, memory_labels, memory, memory_labels, 5, true), std::invalid_argument);
  EXPECT_THROW(knn_accuracy(memory, memory_labels, memory, memory_labels, 0, false), std::invalid_argument);
}

TEST(FrozenEmbedding, ProbeFindsTheMidpoint) {
  // Classes at 0..3 and 4..7, symmetric about 3.5: the probe's boundary is there, so 3.4 -> 0
  // and 3.6 -> 1; with 3.4 labelled 1 three of four queries are right.
  const Tensor train = column({0, 1, 2, 3, 4, 5, 6, 7}), train_labels = labels({0, 0, 0, 0, 1, 1, 1, 1});
  EXPECT_DOUBLE_EQ(linear_probe_accuracy(train, train_labels, column({3.4, 3.6, 0, 7}), labels({0, 1, 0, 1}), 2), 1.0);
  EXPECT_DOUBLE_EQ(linear_probe_accuracy(train, train_labels, column({3.4, 3.6, 0, 7}), labels({1, 1, 0, 1}), 2), 0.75);
  EXPECT_THROW(linear_probe_accuracy(train, train_labels, column({1}), labels({2}), 2), std::invalid_argument);
}

TEST(FrozenEmbedding, ProbeSeparatesThreeClassesInTwoDimensions) {
  std::vector<double> x;
  std::vector<int64_t> y;
  const double centre[3][2] = {{0, 0}, {4, 0}, {0, 4}};
  const std::vector<double> noise = Tensor::uniform({60, 2}, -1, 1, 3, 0, DType::f64).to_vector();
  for (int64_t i = 0; i < 60; ++i) {
    x.push_back(centre[i % 3][0] + noise[2 * i]);
    x.push_back(centre[i % 3][1] + noise[2 * i + 1]);
    y.push_back(i % 3);
  }
  const Tensor points = Tensor::from(x, {60, 2}, DType::f64);
  EXPECT_DOUBLE_EQ(linear_probe_accuracy(points.slice(0, 0, 45), labels(std::vector<int64_t>(y.begin(), y.begin() + 45)),
                                         points.slice(0, 45, 60), labels(std::vector<int64_t>(y.begin() + 45, y.end())), 3),
                   1.0);
}

}  // namespace
}  // namespace cz::learn
