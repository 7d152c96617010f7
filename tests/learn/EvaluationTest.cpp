// The meta-test protocol: mean and 1.96*std/sqrt(N) (population std), per-episode metrics.
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

// Episodes whose answer a prototypical network with an identity-like embedding must get right.
TEST(Evaluation, EvaluateRunsNEpisodesByGlobalIndex) {
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{2, 2, 2});
  LearnerConfig c;
  c.algorithm = "protonet";
  c.model = mlp;
  c.ways = 2;
  const auto learner = make_learner(c);
  nn::Params params(learner->specs());
  // Embedding relu(x): the identity on the positive quadrant.
  params.flat().copy_(Tensor::from({1, 0, 0, 1, 0, 0}, {6}));
  std::vector<int64_t> seen;
  auto episode_of = [&](int64_t i) {
    seen.push_back(i);
    data::Episode e;
    e.support = Tensor::from({1, 0, 0, 1}, {2, 2});
    e.support_labels = Tensor::from_i64({0, 1}, {2});
    // Episode i: query points near each prototype, the last one on the wrong side when i is odd.
    e.query = Tensor::from({0.9, 0.1, 0.1, 0.9, 0.8, i % 2 ? 1.0 : 0.0}, {3, 2});
    e.query_labels = Tensor::from_i64({0, 1, 0}, {3});
    return e;
  };
  const EvalResult r = evaluate(*learner, params.list(), episode_of, 10);
  EXPECT_EQ(r.episodes, 10);
  ASSERT_EQ(seen.size(), 10u);
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
  // Half the episodes 3/3, half 2/3: mean 5/6, population std 1/6.
  EXPECT_NEAR(r.mean, 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(r.ci95, 1.96 * (1.0 / 6.0) / std::sqrt(10.0), 1e-12);
  EXPECT_THROW(evaluate(*learner, params.list(), episode_of, 0), std::invalid_argument);
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
  // evaluate_episodes summarizes any per-episode value.
  const EvalResult r = evaluate_episodes([](int64_t i) { return i % 2 == 0 ? 1.0 : 0.0; }, 4);
  EXPECT_DOUBLE_EQ(r.mean, 0.5);
  EXPECT_NEAR(r.ci95, 1.96 * 0.5 / 2.0, 1e-12);
  EXPECT_EQ(r.episodes, 4);
}

TEST(Evaluation, RegressionEpisodesReportQueryMse) {
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
  const EvalResult r = evaluate(*learner, params.list(), tasks, {.episodes = 20});
  EXPECT_EQ(r.episodes, 20);
  // The metric of each episode is the query MSE of predict().
  double mean = 0;
  for (int64_t i = 0; i < 20; ++i)
    mean += episode_metric(*learner, params.list(), tasks.sample(0, i)) / 20;
  EXPECT_NEAR(r.mean, mean, 1e-12);
  const data::Episode e = tasks.sample(0, 0);
  const Tensor y = learner->predict(params.list(), e.support, e.support_labels, e.query);
  const Tensor d = binary(BinaryOp::sub, y, e.query_labels);
  EXPECT_NEAR(episode_metric(*learner, params.list(), e),
              sum(binary(BinaryOp::mul, d, d), {}).item() / 10, 1e-6);
  EXPECT_GT(r.mean, 0.1);  // an untrained network does not fit sinusoids
}

}  // namespace
}  // namespace cz::learn
