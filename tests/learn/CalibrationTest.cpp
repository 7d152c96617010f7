// Calibration metrics against hand-computed values: ECE over 15 bins, the 95% interval's
// coverage, the Gaussian NLL; and the scores of an episode.
#include "cezanne/learn/Calibration.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "LearnFixtures.hpp"
#include "cezanne/learn/Evaluation.hpp"
#include "cezanne/learn/SinusoidTasks.hpp"

namespace cz::learn {
namespace {

TEST(Calibration, ExpectedCalibrationErrorOfFifteenBins) {
  // Confidences 0.9 (right), 0.9 (wrong), 0.5 (right), 0.4 (right; its label is class 2).
  const Tensor p = Tensor::from({0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.5, 0.3, 0.2, 0.3, 0.3, 0.4}, {4, 3}, DType::f64);
  const Tensor labels = Tensor::from_i64({0, 0, 0, 2}, {4});
  ReliabilityBins bins;
  bins.add(p, labels);
  // 0.9 in bin 13 ((13/15, 14/15]), 0.5 in bin 7 ((7/15, 8/15]), 0.4 in bin 5 ((5/15, 6/15]).
  EXPECT_EQ(bins.count[13], 2);
  EXPECT_EQ(bins.count[7], 1);
  EXPECT_EQ(bins.count[5], 1);
  EXPECT_DOUBLE_EQ(bins.correct[13], 1);
  // ECE = (2 |0.5 - 0.9| + |1 - 0.5| + |1 - 0.4|) / 4.
  EXPECT_NEAR(bins.ece(), (2 * 0.4 + 0.5 + 0.6) / 4, 1e-15);
  // Mean confidence (0.9 + 0.9 + 0.5 + 0.4) / 4 = 0.675 against the accuracy 3/4: underconfident.
  EXPECT_NEAR(bins.mean_confidence(), 0.675, 1e-15);
  // Bins of two halves add up to the bins of the whole.
  ReliabilityBins a, b;
  a.add(p.slice(0, 0, 2), labels.slice(0, 0, 2));
  b.add(p.slice(0, 2, 4), labels.slice(0, 2, 4));
  a.add(b);
  EXPECT_EQ(a.flat(), bins.flat());
  EXPECT_EQ(ReliabilityBins::from_flat(bins.flat().data()).flat(), bins.flat());
  // Confidence 1 falls in the last bin; no predictions: ECE 0.
  ReliabilityBins sure;
  sure.add(Tensor::from({1.0, 0.0}, {1, 2}, DType::f64), Tensor::from_i64({0}, {1}));
  EXPECT_EQ(sure.count[14], 1);
  EXPECT_EQ(sure.ece(), 0.0);
  EXPECT_EQ(ReliabilityBins{}.ece(), 0.0);
  EXPECT_EQ(ReliabilityBins{}.mean_confidence(), 0.0);
}

TEST(Calibration, CoverageAndGaussianNll) {
  const Tensor mean = Tensor::from({0.0, 1.0, 2.0, 3.0}, {4, 1}, DType::f64);
  const Tensor variance = Tensor::from({1.0, 4.0, 0.25, 1.0}, {4, 1}, DType::f64);
  // Distances 1.9 (inside 1.96), 3.0 (inside 3.92), 1.0 (outside 0.98), 2.0 (outside 1.96).
  const Tensor target = Tensor::from({1.9, -2.0, 3.0, 5.0}, {4, 1}, DType::f64);
  EXPECT_DOUBLE_EQ(coverage95(mean, variance, target), 0.5);
  double nll = 0;
  const double m[] = {0, 1, 2, 3}, v[] = {1, 4, 0.25, 1}, y[] = {1.9, -2, 3, 5};
  for (int i = 0; i < 4; ++i) nll += 0.5 * (std::log(2 * std::numbers::pi * v[i]) + (y[i] - m[i]) * (y[i] - m[i]) / v[i]) / 4;
  EXPECT_NEAR(gaussian_nll(mean, variance, target), nll, 1e-14);
  testing::expect_invalid_argument([&] { coverage95(mean, variance.slice(0, 0, 2), target); },
                                   "coverage95: shapes [4, 1] and [2, 1] differ");
}

TEST(Calibration, EpisodeScoresOfAPointEstimateHaveNoVariance) {
  LearnerConfig c = testing::sinusoid_config("maml");
  const auto maml = make_learner(c);
  nn::Params params(maml->specs());
  params.initialize(5);
  const data::Episode e = SinusoidTasks({.shots = 5, .queries = 4}, 11, data::Split::test).sample(0, 0);
  const EpisodeScores s = episode_scores(*maml, params.list(), e);
  EXPECT_FALSE(s.has_variance);
  EXPECT_DOUBLE_EQ(s.metric, episode_metric(*maml, params.list(), e));
  c.algorithm = "neural_process";
  const auto np = make_learner(c);
  nn::Params np_params(np->specs());
  np_params.initialize(5);
  const EpisodeScores n = episode_scores(*np, np_params.list(), e);
  EXPECT_TRUE(n.has_variance);
  EXPECT_DOUBLE_EQ(n.metric, episode_metric(*np, np_params.list(), e));
  EXPECT_GE(n.coverage95, 0.0);
  EXPECT_LE(n.coverage95, 1.0);
}

}  // namespace
}  // namespace cz::learn
