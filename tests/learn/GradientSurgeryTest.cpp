// PCGrad: a hand-worked example, agreement with a plain re-implementation, determinism and conflict counts.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "LearnFixtures.hpp"
#include "cezanne/learn/GradientSurgery.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::learn {
namespace {

using testing::expect_invalid_argument;
using Rows = std::vector<std::vector<double>>;

std::vector<double> flatten(const Rows& rows) {
  std::vector<double> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return flat;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

/// Row i projected off the original rows in `order`, as the paper writes it.
std::vector<double> project(const Rows& g, size_t i, const std::vector<size_t>& order, int64_t* conflicts) {
  std::vector<double> gi = g[i];
  for (size_t j : order) {
    const double d = dot(gi, g[j]), n2 = dot(g[j], g[j]);
    if (d < 0 && n2 > 0) {
      for (size_t k = 0; k < gi.size(); ++k) gi[k] -= d / n2 * g[j][k];
      ++*conflicts;
    }
  }
  return gi;
}

/// The documented order: the other rows ascending, Fisher-Yates from the back with the keyed stream.
std::vector<size_t> keyed_order(size_t tasks, size_t i, uint64_t seed, int64_t step) {
  std::vector<size_t> order;
  for (size_t j = 0; j < tasks; ++j)
    if (j != i) order.push_back(j);
  CounterRng rng(mix_key({seed, static_cast<uint64_t>(step), i}));
  for (size_t k = order.size() - 1; k >= 1; --k) std::swap(order[k], order[rng.below(k + 1)]);
  return order;
}

std::vector<double> reference(const Rows& g, uint64_t seed, int64_t step, int64_t* conflicts) {
  std::vector<double> sum(g[0].size(), 0.0);
  *conflicts = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const std::vector<double> gi = project(g, i, keyed_order(g.size(), i, seed, step), conflicts);
    for (size_t k = 0; k < sum.size(); ++k) sum[k] += gi[k];
  }
  return sum;
}

TEST(PCGrad, TwoTasksByHand) {
  // g1 = (1, 0), g2 = (-1, 1): dot = -1 < 0, a conflict both ways.
  // g1' = g1 - (-1 / ||g2||^2) g2 = (1, 0) + (-1, 1) / 2 = (0.5, 0.5)      (g1' . g2 = 0)
  // g2' = g2 - (-1 / ||g1||^2) g1 = (-1, 1) + (1, 0)    = (0, 1)          (g2' . g1 = 0)
  // sum = (0.5, 1.5), against the plain sum (0, 1). Every number is a dyadic fraction: exact.
  for (int64_t step : {0, 7}) {
    int64_t conflicts = -1;
    const std::vector<double> s = pcgrad({1, 0, -1, 1}, 2, 2, 42, step, &conflicts);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_NEAR(s[0], 0.5, 1e-15);
    EXPECT_NEAR(s[1], 1.5, 1e-15);
    EXPECT_EQ(conflicts, 2);
  }
  // Unequal norms: g1 = (2, 0), g2 = (-1, 3): dot = -2. g1' = (2, 0) + 2/10 (-1, 3) = (1.8, 0.6); g2' = (-1, 3) + 2/4 (2, 0)
  // = (0, 3). sum = (1.8, 3.6).
  int64_t conflicts = 0;
  const std::vector<double> s = pcgrad({2, 0, -1, 3}, 2, 2, 1, 0, &conflicts);
  EXPECT_NEAR(s[0], 1.8, 1e-15);
  EXPECT_NEAR(s[1], 3.6, 1e-15);
  EXPECT_EQ(conflicts, 2);
}

TEST(PCGrad, GradientsWithoutConflictAreSummedUnchanged) {
  // Pairwise dots 2, 2 and 3: nothing is projected.
  const Rows positive = {{1, 2, 0}, {0, 1, 3}, {2, 0, 1}};
  int64_t conflicts = -1;
  const std::vector<double> s = pcgrad(flatten(positive), 3, 3, 5, 11, &conflicts);
  EXPECT_EQ(s, (std::vector<double>{3, 3, 4}));
  EXPECT_EQ(conflicts, 0);
  // An orthogonal pair and a zero row: no projection, no division by ||0||^2.
  const std::vector<double> o = pcgrad({1, 0, 0, 0, 0, 0, 0, 2, 0}, 3, 3, 5, 11, &conflicts);
  EXPECT_EQ(o, (std::vector<double>{1, 2, 0}));
  EXPECT_EQ(conflicts, 0);
  // One task: its gradient. No tasks: zeros.
  EXPECT_EQ(pcgrad({-1, 4}, 1, 2, 0, 0), (std::vector<double>{-1, 4}));
  EXPECT_EQ(pcgrad({}, 0, 3, 0, 0, &conflicts), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(conflicts, 0);
}

TEST(PCGrad, ThreeTasksMatchAPlainReimplementation) {
  // Every pair conflicts, so each row's result depends on the order of its two projections.
  const Rows g = {{1.0, 0.2, -0.3, 0.5}, {-0.8, 0.9, 0.1, -0.2}, {-0.4, -1.1, 0.7, 0.3}};
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 3; ++j) EXPECT_TRUE(i == j || dot(g[i], g[j]) < 0) << i << " " << j;
  // Order matters for these rows: the two orders of row 0 give different results.
  int64_t unused = 0;
  const std::vector<double> a = project(g, 0, {1, 2}, &unused), b = project(g, 0, {2, 1}, &unused);
  EXPECT_GT(std::abs(a[0] - b[0]) + std::abs(a[1] - b[1]), 1e-3);

  const uint64_t seed = 1234;
  bool some_step_differs = false;
  const std::vector<double> at0 = pcgrad(flatten(g), 3, 4, seed, 0);
  for (int64_t step = 0; step < 16; ++step) {
    int64_t conflicts = 0, expected_conflicts = 0;
    const std::vector<double> s = pcgrad(flatten(g), 3, 4, seed, step, &conflicts);
    const std::vector<double> expected = reference(g, seed, step, &expected_conflicts);
    for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(s[k], expected[k], 1e-15) << "step " << step << ", " << k;
    EXPECT_EQ(conflicts, expected_conflicts) << step;
    EXPECT_GE(conflicts, 3) << step;  // each row projects at least once
    // The same seed and step give the same bits.
    EXPECT_EQ(pcgrad(flatten(g), 3, 4, seed, step), s) << step;
    if (s != at0) some_step_differs = true;
  }
  EXPECT_TRUE(some_step_differs) << "16 steps drew the same orders";
}

TEST(PCGrad, CountsOnlyTheProjectionsMade) {
  // g0 conflicts with g1 only; g2 is orthogonal to g0 and agrees with g1. Two projections: g0 off g1, g1 off g0.
  // g0' = (1, 0, 0) + (1/2)(-1, 1, 0) = (0.5, 0.5, 0); g1' = (-1, 1, 0) + (1, 0, 0) = (0, 1, 0); g2' = (0, 1, 1).
  int64_t conflicts = 0;
  const std::vector<double> s = pcgrad({1, 0, 0, -1, 1, 0, 0, 1, 1}, 3, 3, 9, 3, &conflicts);
  EXPECT_EQ(conflicts, 2);
  EXPECT_NEAR(s[0], 0.5, 1e-15);
  EXPECT_NEAR(s[1], 2.5, 1e-15);
  EXPECT_NEAR(s[2], 1.0, 1e-15);
}

TEST(PCGrad, RejectsSizesThatDoNotMatch) {
  expect_invalid_argument([] { pcgrad({1, 2, 3}, 2, 2, 0, 0); },
                          "pcgrad: expected tasks * params = 2 * 2 values, got 3");
  expect_invalid_argument([] { pcgrad({}, -1, 2, 0, 0); }, "pcgrad: tasks and params must be >= 0, got -1 and 2");
}

}  // namespace
}  // namespace cz::learn
