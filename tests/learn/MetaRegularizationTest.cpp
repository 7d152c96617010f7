// Meta-regularization: the information penalty and the weight noise of LearnerConfig, on the
// MAML family and the black-box learners.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "LearnFixtures.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/EpisodicLearner.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::learn {
namespace {

constexpr int64_t kClasses = 8, kWays = 2;

// T 2-way tasks: one even and one odd class of 8 classes whose points lie around centres on a
// circle (radius 2, class k at angle 2 pi k / 8). Shuffle off: the label of class c is always
// c % 2 (alternating around the circle, so one fixed function solves every task); on: a coin
// per task swaps the two labels. 1 shot and `queries` queries per class.
data::EpisodeBatch circle_tasks(int64_t tasks, int64_t queries, bool shuffle, uint64_t seed) {
  data::EpisodeBatch b;
  std::vector<double> sx, qx;
  std::vector<int64_t> sy, qy;
  CounterRng rng(seed);
  const double two_pi = 6.283185307179586;
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t even = 2 * static_cast<int64_t>(rng.uniform() * 4) % kClasses;
    const int64_t odd = (2 * static_cast<int64_t>(rng.uniform() * 4) + 1) % kClasses;
    const bool swap = shuffle && rng.uniform() < 0.5;
    for (int64_t cls : {even, odd}) {
      const int64_t label = (cls % kWays) ^ (swap ? 1 : 0);
      const double angle = two_pi * static_cast<double>(cls) / kClasses;
      auto point = [&](std::vector<double>& xs) {
        xs.push_back(2 * std::cos(angle) + 0.15 * rng.normal());
        xs.push_back(2 * std::sin(angle) + 0.15 * rng.normal());
      };
      point(sx);
      sy.push_back(label);
      for (int64_t k = 0; k < queries; ++k) {
        point(qx);
        qy.push_back(label);
      }
    }
  }
  b.support = Tensor::from(sx, {tasks, kWays, 2});
  b.support_labels = Tensor::from_i64(sy, {tasks, kWays});
  b.query = Tensor::from(qx, {tasks, kWays * queries, 2});
  b.query_labels = Tensor::from_i64(qy, {tasks, kWays * queries});
  return b;
}

LearnerConfig maml_config(MetaRegularization reg = MetaRegularization::none, double scale = 0) {
  LearnerConfig c;
  c.algorithm = "maml";
  c.model = std::make_shared<nn::MLP>(std::vector<int64_t>{2, 32, 32, kWays});
  c.ways = kWays;
  c.inner_lr = 0.5;
  c.inner_steps = 1;
  c.meta_regularization = reg;
  c.meta_reg_scale = scale;
  c.meta_reg_seed = 11;
  return c;
}

// The config without its meta-regularizer.
LearnerConfig unregularized(LearnerConfig c) {
  c.meta_regularization = MetaRegularization::none;
  return c;
}

// Two shuffled circle tasks in f64 at meta-step `step`.
data::EpisodeBatch circle_batch_f64(int64_t step = 0) {
  data::EpisodeBatch b = circle_tasks(2, 2, true, 5);
  b.support = b.support.to(DType::f64);
  b.query = b.query.to(DType::f64);
  b.step = step;
  return b;
}

// theta[i] is in scope: all of theta, the body [0, head_begin) or the head.
bool in_scope(MetaRegParams scope, size_t i, size_t head_begin) {
  return scope == MetaRegParams::all || (i < head_begin) == (scope == MetaRegParams::body);
}

TEST(MetaRegularization, InformationPenaltyIsHalfScaledSquaredNormOfTheChosenParameters) {
  for (const char* algorithm : {"maml", "anil", "mann", "set_encoder"})
    for (MetaRegParams scope : {MetaRegParams::all, MetaRegParams::body, MetaRegParams::head}) {
      LearnerConfig c = maml_config(MetaRegularization::information, 0.3);
      c.algorithm = algorithm;
      c.hidden = 4;
      c.meta_reg_params = scope;
      const LearnerConfig none = unregularized(c);
      const auto learner = make_learner(c);
      nn::Params params(learner->specs(), DType::f64);
      params.initialize(2);
      const data::EpisodeBatch b = circle_batch_f64();
      double norm = 0;
      for (size_t i = 0; i < params.list().size(); ++i)
        if (in_scope(scope, i, c.model->head_begin()))
          for (double x : params.list()[i].data().to_vector()) norm += x * x;
      Metrics m;
      const double with = learner->meta_loss(params.list(), b, &m).item();
      const double without = make_learner(none)->meta_loss(params.list(), b).item();
      EXPECT_NEAR(with, without + 0.15 * norm, 1e-10) << algorithm;
      EXPECT_NEAR(m.loss, without, 1e-12) << algorithm;  // Metrics: the query loss alone
    }
}

TEST(MetaRegularization, WeightNoiseIsAPureFunctionOfSeedAndStep) {
  for (const char* algorithm : {"maml", "fomaml", "mann", "set_encoder"}) {
    LearnerConfig c = maml_config(MetaRegularization::weight_noise, 0.1);
    c.algorithm = algorithm;
    c.hidden = 4;
    const LearnerConfig none = unregularized(c);
    const auto learner = make_learner(c);
    nn::Params params(learner->specs(), DType::f64);
    params.initialize(2);
    data::EpisodeBatch b = circle_batch_f64(4);
    const double clean = make_learner(none)->meta_loss(params.list(), b).item();
    const double first = learner->meta_loss(params.list(), b).item();
    EXPECT_EQ(learner->meta_loss(params.list(), b).item(), first) << algorithm;
    EXPECT_GT(std::abs(first - clean), 1e-9) << algorithm;
    b.step = 5;
    EXPECT_NE(learner->meta_loss(params.list(), b).item(), first) << algorithm;
    NoGradGuard no_grad;  // validation: no noise
    EXPECT_EQ(learner->meta_loss(params.list(), b).item(),
              make_learner(none)->meta_loss(params.list(), b).item())
        << algorithm;
  }
  LearnerConfig bad = maml_config(MetaRegularization::weight_noise, -1);
  testing::expect_invalid_argument([&] { make_learner(bad); },
                                   "maml: meta_reg_scale must be >= 0, got -1.000000");
}

TEST(MetaRegularization, WeightNoiseFallsOnlyOnTheChosenParameters) {
  for (MetaRegParams scope : {MetaRegParams::body, MetaRegParams::head}) {
    LearnerConfig c = maml_config(MetaRegularization::weight_noise, 0.1);
    c.meta_reg_params = scope;
    const LearnerConfig none = unregularized(c);
    const auto learner = make_learner(c);
    nn::Params params(learner->specs(), DType::f64);
    params.initialize(2);
    const data::EpisodeBatch b = circle_batch_f64(4);
    // The same draw by hand: parameter i in scope gets N(0, 0.1^2) keyed by (seed, step, i).
    nn::ParamList noisy;
    for (size_t i = 0; i < params.list().size(); ++i) {
      const Tensor& t = params.list()[i].data();
      noisy.push_back(Var(in_scope(scope, i, c.model->head_begin())
                              ? binary(BinaryOp::add, t, Tensor::normal(t.shape(), 0.0, 0.1,
                                                          mix_key({11, 4, i}), 0, DType::f64))
                              : t));
    }
    EXPECT_NEAR(learner->meta_loss(params.list(), b).item(),
                make_learner(none)->meta_loss(noisy, b).item(), 1e-12);
  }
}

}  // namespace
}  // namespace cz::learn
