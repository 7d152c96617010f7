// Evaluation metrics: mean and 1.96*std/sqrt(N) (population std), per-episode metrics.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "cezanne/learn/Evaluation.hpp"
#include "cezanne/learn/SinusoidTasks.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {
namespace {

TEST(Evaluation, SummaryIsMeanAndPopulationConfidenceInterval) {
  const EvalResult r = summarize({0.2, 0.4, 0.6, 0.8});
  EXPECT_EQ(r.episodes, 4);
  EXPECT_NEAR(r.mean, 0.5, 1e-15);
  // population std of {.2,.4,.6,.8} = sqrt(0.05)
  EXPECT_NEAR(r.ci95, 1.96 * std::sqrt(0.05) / 2.0, 1e-15);
  EXPECT_EQ(summarize({0.7}).ci95, 0.0);
  EXPECT_EQ(summarize({}).episodes, 0);
}

// The baseline: each query takes the label of the nearest support image in pixel space.
TEST(Evaluation, NearestPixelsLabelsEachQueryByItsNearestSupportImage) {
  data::Episode e;
  // Two classes of 1x1x2 images: label 0 near (0, 0), label 1 at (1, 1) and (0.2, 0.9).
  e.support = Tensor::from_f32({0, 0, 1, 1, 0.2f, 0.9f}, {3, 1, 1, 2});
  e.support_labels = Tensor::from_i64({0, 1, 1}, {3});
  // Squared distances: (0.1, 0) -> (0, 0) at 0.01: 0 (right); (0.3, 0.8) -> (0.2, 0.9) at 0.02:
  // 1 (right); (0.9, 0.2) -> (1, 1) at 0.65 before (0, 0) at 0.85: 1 (wrong, it is 0);
  // (0.4, 0.4) -> (0.2, 0.9) at 0.29 before (0, 0) at 0.32: 1 (right).
  e.query = Tensor::from_f32({0.1f, 0, 0.3f, 0.8f, 0.9f, 0.2f, 0.4f, 0.4f}, {4, 1, 1, 2});
  e.query_labels = Tensor::from_i64({0, 1, 0, 1}, {4});
  EXPECT_DOUBLE_EQ(nearest_pixels_accuracy(e), 0.75);
}

TEST(Evaluation, RegressionEpisodeMetricIsQueryMse) {
  auto mlp = std::make_shared<nn::MLP>(SinusoidTasks::model());
  LearnerConfig c;
  c.algorithm = "maml";
  c.model = mlp;
  c.loss = Loss::mse;
  c.ways = 1;
  c.inner_lr = 0.01;
  const auto learner = make_learner(c);
  nn::Params params(learner->specs());
  params.initialize(1);
  const SinusoidTasks tasks({}, 3, data::Split::test);
  const data::Episode e = tasks.sample(0, 0);
  const Tensor y = learner->predict(params.list(), e.support, e.support_labels, e.query);
  const Tensor d = binary(BinaryOp::sub, y, e.query_labels);
  EXPECT_NEAR(episode_metric(*learner, params.list(), e),
              sum(binary(BinaryOp::mul, d, d), {}).item() / 10, 1e-6);
}

}  // namespace
}  // namespace cz::learn
