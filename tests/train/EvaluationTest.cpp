// The evaluation protocol: N episodes by global index, their metrics summarized.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "cezanne/learn/SinusoidTasks.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/train/Evaluation.hpp"

namespace cz::train {
namespace {

// Episodes whose answer a prototypical network with an identity-like embedding must get right.
TEST(Evaluation, EvaluateRunsNEpisodesByGlobalIndex) {
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{2, 2, 2});
  learn::LearnerConfig c;
  c.algorithm = "protonet";
  c.model = mlp;
  c.ways = 2;
  const auto learner = learn::make_learner(c);
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
  const learn::EvalResult r = evaluate(*learner, params.list(), episode_of, 10);
  EXPECT_EQ(r.episodes, 10);
  ASSERT_EQ(seen.size(), 10u);
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
  // Half the episodes 3/3, half 2/3: mean 5/6, population std 1/6.
  EXPECT_NEAR(r.mean, 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(r.ci95, 1.96 * (1.0 / 6.0) / std::sqrt(10.0), 1e-12);
  EXPECT_THROW(evaluate(*learner, params.list(), episode_of, 0), std::invalid_argument);
}

TEST(Evaluation, EvaluateEpisodesSummarizesAnyValue) {
  const learn::EvalResult r =
      evaluate_episodes([](int64_t i) { return i % 2 == 0 ? 1.0 : 0.0; }, 4);
  EXPECT_DOUBLE_EQ(r.mean, 0.5);
  EXPECT_NEAR(r.ci95, 1.96 * 0.5 / 2.0, 1e-12);
  EXPECT_EQ(r.episodes, 4);
}

TEST(Evaluation, RegressionEpisodesReportQueryMse) {
  auto mlp = std::make_shared<nn::MLP>(learn::SinusoidTasks::model());
  learn::LearnerConfig c;
  c.algorithm = "maml";
  c.model = mlp;
  c.loss = learn::Loss::mse;
  c.ways = 1;
  c.inner_lr = 0.01;
  const auto learner = learn::make_learner(c);
  nn::Params params(learner->specs());
  params.initialize(1);
  const learn::SinusoidTasks tasks({}, 3, data::Split::test);
  const learn::EvalResult r = evaluate(*learner, params.list(), tasks, {.episodes = 20});
  EXPECT_EQ(r.episodes, 20);
  // The metric of each episode is the query MSE of predict().
  double mean = 0;
  for (int64_t i = 0; i < 20; ++i)
    mean += learn::episode_metric(*learner, params.list(), tasks.sample(0, i)) / 20;
  EXPECT_NEAR(r.mean, mean, 1e-12);
  EXPECT_GT(r.mean, 0.1);  // an untrained network does not fit sinusoids
}

}  // namespace
}  // namespace cz::train
