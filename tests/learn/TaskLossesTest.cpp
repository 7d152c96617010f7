// The meta-learners as objectives of the general loop: every algorithm's per-task losses [T] are
// each task's own meta-loss, and their mean is the meta-loss.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "LearnFixtures.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/Algorithms.hpp"
#include "cezanne/learn/SinusoidTasks.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/Params.hpp"

namespace cz::learn {
namespace {

// Row t of task_losses against task t alone, the mean against meta_loss, the Metrics against
// the means of the rows alone.
void expect_per_task(const EpisodicLearner& learner, const nn::ParamList& theta,
                     const data::EpisodeBatch& batch, const std::string& label) {
  Metrics whole;
  const Var losses = learner.task_losses(theta, batch, &whole);
  const int64_t tasks = batch.support.size(0);
  ASSERT_EQ(losses.shape(), Shape{tasks}) << label;
  const std::vector<double> rows = losses.data().to_vector();
  double mean_loss = 0, mean_accuracy = 0, mean_row = 0;
  for (int64_t t = 0; t < tasks; ++t) {
    Metrics alone;
    const double own = learner.task_losses(theta, batch.tasks(t, t + 1), &alone).item();
    EXPECT_NEAR(rows[t], own, 1e-12 * (1 + std::abs(own))) << label << ", task " << t;
    mean_loss += alone.loss / tasks;
    mean_accuracy += alone.accuracy / tasks;
    mean_row += rows[t] / tasks;
  }
  EXPECT_NEAR(learner.meta_loss(theta, batch).item(), mean_row, 1e-12) << label;
  EXPECT_NEAR(whole.loss, mean_loss, 1e-12) << label;
  EXPECT_NEAR(whole.accuracy, mean_accuracy, 1e-12) << label;
  // The tasks differ, so the rows do: a learner returning one loss for all would fail above.
  EXPECT_GT(std::abs(rows[0] - rows[1]), 1e-6) << label;
}

TEST(TaskLosses, EveryMetaLearnerGivesEachTaskItsOwnLoss) {
  const data::EpisodeBatch batch = testing::image_batch(4, 41, 7);
  for (const Algorithm& a : algorithms()) {
    if (a.kind != Algorithm::Kind::episodic || a.regression_only) continue;
    for (const MetaRegularization reg : {MetaRegularization::none, MetaRegularization::information}) {
      const auto learner = make_learner(testing::image_config(a, reg));
      nn::Params params(learner->specs(), DType::f64);
      params.initialize(3);
      expect_per_task(*learner, params.list(), batch,
                      a.name + (reg == MetaRegularization::none ? "" : " + information"));
    }
  }
}

TEST(TaskLosses, RegressionLearnersGiveEachSinusoidItsOwnLoss) {
  const SinusoidTasks tasks({.shots = 5, .queries = 4}, 11);
  data::EpisodeBatch batch = tasks.sample_batch(2, {0, 1, 2});
  batch.support = batch.support.to(DType::f64);
  batch.query = batch.query.to(DType::f64);
  batch.support_labels = batch.support_labels.to(DType::f64);
  batch.query_labels = batch.query_labels.to(DType::f64);
  for (const char* algorithm : {"maml", "fomaml", "anil", "pretrain", "neural_process"}) {
    const auto learner = make_learner(testing::sinusoid_config(algorithm));
    nn::Params params(learner->specs(), DType::f64);
    params.initialize(5);
    expect_per_task(*learner, params.list(), batch, algorithm);
  }
}

TEST(TaskLosses, PerTaskCrossEntropyAndSquaredErrorAreEachRowsMean) {
  const Tensor logits = Tensor::from({0.0, 1.0, 2.0, 3.0, -1.0, 0.5, 1.5, 0.0}, {2, 2, 2}, DType::f64);
  const Tensor labels = Tensor::from_i64({1, 0, 0, 1}, {2, 2});
  // Row 0: -log softmax(0,1)[1] and -log softmax(2,3)[0]; row 1: (-1,0.5)[0], (1.5,0)[1].
  auto nll = [](double a, double b, int label) {
    const double m = std::max(a, b), lse = m + std::log(std::exp(a - m) + std::exp(b - m));
    return lse - (label == 0 ? a : b);
  };
  const std::vector<double> ce = task_cross_entropy(Var(logits), labels).data().to_vector();
  ASSERT_EQ(ce.size(), 2u);
  EXPECT_NEAR(ce[0], (nll(0, 1, 1) + nll(2, 3, 0)) / 2, 1e-14);
  EXPECT_NEAR(ce[1], (nll(-1, 0.5, 0) + nll(1.5, 0, 1)) / 2, 1e-14);
  EXPECT_NEAR(cross_entropy(Var(logits), labels).item(), (ce[0] + ce[1]) / 2, 1e-14);
  const Tensor target = Tensor::zeros({2, 2, 2}, DType::f64);
  const std::vector<double> se = task_mse(Var(logits), Var(target)).data().to_vector();
  EXPECT_NEAR(se[0], (0 + 1 + 4 + 9) / 4.0, 1e-14);
  EXPECT_NEAR(se[1], (1 + 0.25 + 2.25 + 0) / 4.0, 1e-14);
}

}  // namespace
}  // namespace cz::learn
