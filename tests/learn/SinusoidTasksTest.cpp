// Sinusoid tasks: ranges, the function, determinism per (seed, split, step, task), batching.
#include <gtest/gtest.h>

#include <cmath>

#include "cezanne/learn/SinusoidTasks.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {
namespace {

TEST(SinusoidTasks, PointsLieOnTheTasksSineWithinTheRanges) {
  const SinusoidTasks tasks({.shots = 10, .queries = 15}, 42);
  for (int64_t i = 0; i < 50; ++i) {
    const SinusoidTask t = tasks.task(3, i);
    EXPECT_GE(t.amplitude, 0.1);
    EXPECT_LT(t.amplitude, 5.0);
    EXPECT_GE(t.phase, 0.0);
    EXPECT_LT(t.phase, 3.141592653589793);
    const data::Episode e = tasks.sample(3, i);
    ASSERT_EQ(e.support.shape(), (Shape{10, 1}));
    ASSERT_EQ(e.support_labels.shape(), (Shape{10, 1}));
    ASSERT_EQ(e.query.shape(), (Shape{15, 1}));
    ASSERT_EQ(e.query_labels.shape(), (Shape{15, 1}));
    for (const auto& [x, y] :
         {std::pair{e.support, e.support_labels}, std::pair{e.query, e.query_labels}}) {
      const std::vector<double> xs = x.to_vector(), ys = y.to_vector();
      for (size_t k = 0; k < xs.size(); ++k) {
        EXPECT_GE(xs[k], -5.0);
        EXPECT_LE(xs[k], 5.0);
        EXPECT_NEAR(ys[k], t.amplitude * std::sin(xs[k] - t.phase), 1e-5);
      }
    }
  }
}

TEST(SinusoidTasks, TasksArePureFunctionsOfSeedSplitStepAndIndex) {
  const SinusoidTasks a({}, 7), b({}, 7), other_seed({}, 8), test({}, 7, data::Split::test);
  EXPECT_EQ(max_abs_diff(a.sample(5, 3).query, b.sample(5, 3).query), 0.0);
  EXPECT_NE(a.task(5, 3).amplitude, a.task(5, 4).amplitude);
  EXPECT_NE(a.task(5, 3).amplitude, a.task(6, 3).amplitude);
  EXPECT_NE(a.task(5, 3).amplitude, other_seed.task(5, 3).amplitude);
  EXPECT_NE(a.task(5, 3).amplitude, test.task(5, 3).amplitude);
  // A batch's rows are the single tasks, whichever indices a rank owns.
  const data::EpisodeBatch batch = a.sample_batch(5, {4, 9, 2});
  ASSERT_EQ(batch.support.shape(), (Shape{3, 10, 1}));
  const std::vector<int64_t> idx{4, 9, 2};
  for (int64_t t = 0; t < 3; ++t) {
    const data::Episode e = a.sample(5, idx[static_cast<size_t>(t)]);
    EXPECT_EQ(max_abs_diff(batch.support.select(0, t), e.support), 0.0);
    EXPECT_EQ(max_abs_diff(batch.support_labels.select(0, t), e.support_labels), 0.0);
    EXPECT_EQ(max_abs_diff(batch.query.select(0, t), e.query), 0.0);
    EXPECT_EQ(max_abs_diff(batch.query_labels.select(0, t), e.query_labels), 0.0);
  }
  EXPECT_EQ(batch.task_indices, idx);
  EXPECT_EQ(batch.step, 5);
}

TEST(SinusoidTasks, ModelIsThePapersMlpAndBadSpecsThrow) {
  EXPECT_EQ(SinusoidTasks::model().sizes(), (std::vector<int64_t>{1, 40, 40, 1}));
  EXPECT_THROW(SinusoidTasks({.shots = 0}, 1), std::invalid_argument);
  EXPECT_THROW(SinusoidTasks({.x_low = 1, .x_high = 1}, 1), std::invalid_argument);
}

}  // namespace
}  // namespace cz::learn
