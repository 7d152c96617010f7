// Shared by the learn tests: small learnable episode batches and a fixed-problem training loop.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/data/Episode.hpp"
#include "cezanne/learn/Algorithms.hpp"
#include "cezanne/learn/EpisodicLearner.hpp"
#include "cezanne/learn/SinusoidTasks.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/optim/Adam.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn::testing {

/// Feature-vector tasks: T tasks, `ways` classes, 2 shots and 3 queries each, class points
/// around per-task random centres (so the problem is learnable), class-major labels.
inline data::EpisodeBatch vector_batch(int64_t tasks, int64_t ways, int64_t dim, uint64_t seed,
                                       DType dtype) {
  const int64_t shots = 2, queries = 3;
  data::EpisodeBatch b;
  const Tensor centres = Tensor::uniform({tasks, ways, 1, dim}, -2, 2, seed, 0, DType::f64);
  auto points = [&](int64_t per, uint64_t s) {
    const Tensor noise = Tensor::normal({tasks, ways, per, dim}, 0, 0.3, s, 0, DType::f64);
    return binary(BinaryOp::add, noise, centres).reshape({tasks, ways * per, dim}).to(dtype);
  };
  b.support = points(shots, seed + 1);
  b.query = points(queries, seed + 2);
  std::vector<int64_t> sy, qy;
  for (int64_t t = 0; t < tasks; ++t)
    for (int64_t c = 0; c < ways; ++c) {
      for (int64_t k = 0; k < shots; ++k) sy.push_back(c);
      for (int64_t k = 0; k < queries; ++k) qy.push_back(c);
    }
  b.support_labels = Tensor::from_i64(sy, {tasks, ways * shots});
  b.query_labels = Tensor::from_i64(qy, {tasks, ways * queries});
  return b;
}

/// Image tasks for Conv4(.., 1, 16, 3): `tasks` tasks, 3 ways, 1 shot and 2 queries per class,
/// f64 images uniform in [0, 1) (keys seed, seed + 1), labels shifted per task, at `step`.
inline data::EpisodeBatch image_batch(int64_t tasks, uint64_t seed, int64_t step) {
  const int64_t ways = 3;
  data::EpisodeBatch b;
  b.support = Tensor::uniform({tasks, ways, 1, 16, 16}, 0, 1, seed, 0, DType::f64);
  b.query = Tensor::uniform({tasks, 2 * ways, 1, 16, 16}, 0, 1, seed + 1, 0, DType::f64);
  std::vector<int64_t> sy, qy;
  for (int64_t t = 0; t < tasks; ++t) {
    for (int64_t c = 0; c < ways; ++c) sy.push_back((c + t) % ways);
    for (int64_t c = 0; c < 2 * ways; ++c) qy.push_back((c / 2 + t) % ways);
  }
  b.support_labels = Tensor::from_i64(sy, {tasks, ways});
  b.query_labels = Tensor::from_i64(qy, {tasks, 2 * ways});
  for (int64_t t = 0; t < tasks; ++t) b.task_indices.push_back(t);
  b.step = step;
  return b;
}

/// A learner of `algorithm` for image_batch: Conv4(4, 1, 16, 3), 3 ways, an LSTM of 8 (MANN,
/// with an external memory when `memory`), two inner steps with MAML++'s loss for the
/// inner-loop learners, meta-regularization `reg` of strength 0.01.
inline LearnerConfig image_config(const Algorithm& algorithm, MetaRegularization reg, bool memory = false) {
  LearnerConfig c;
  c.algorithm = algorithm.name;
  c.model = std::make_shared<nn::Conv4>(4, 1, 16, 3);
  c.ways = 3;
  c.hidden = 8;
  c.samples = 3;
  c.memory = memory;
  c.inner_steps = 2;
  c.multi_step_loss = algorithm.inner_loop;
  c.meta_regularization = reg;
  c.meta_reg_scale = 0.01;
  return c;
}

/// A regression learner of `algorithm` for SinusoidTasks::model() tasks: inner lr 0.01 (MAML
/// family), width 8 and 3 latent samples (neural process).
inline LearnerConfig sinusoid_config(const std::string& algorithm) {
  LearnerConfig c;
  c.algorithm = algorithm;
  c.model = std::make_shared<nn::MLP>(SinusoidTasks::model());
  c.loss = Loss::mse;
  c.ways = 1;
  c.inner_lr = 0.01;
  c.hidden = 8;
  c.samples = 3;
  return c;
}

/// Copies of the parameters' data (a point to evaluate the meta-objective at).
inline std::vector<Tensor> data_of(const nn::ParamList& p) {
  std::vector<Tensor> out;
  for (const Var& v : p) out.push_back(v.data().clone());
  return out;
}

/// Fresh leaves (requires_grad) holding copies of `ts`.
inline nn::ParamList leaves_of(const std::vector<Tensor>& ts) {
  nn::ParamList p;
  for (const Tensor& t : ts) p.emplace_back(t.clone(), true);
  return p;
}

/// `fn` throws std::invalid_argument with exactly `message`.
inline void expect_invalid_argument(const std::function<void()>& fn, const std::string& message) {
  try {
    fn();
    ADD_FAILURE() << "expected std::invalid_argument: " << message;
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

/// The meta-loss gradient (f64, parameters initialized with seed 3) against central differences
/// along two random directions.
inline void check_gradient(const EpisodicLearner& learner, const data::EpisodeBatch& batch) {
  nn::Params params(learner.specs(), DType::f64);
  params.initialize(3);
  const std::vector<Tensor> base = testing::data_of(params.list());
  const nn::ParamList theta = testing::leaves_of(base);
  const std::vector<Var> analytic = grad({learner.meta_loss(theta, batch)}, theta);
  const double eps = 1e-6;
  for (uint64_t dir = 0; dir < 2; ++dir) {
    std::vector<Tensor> up, down;
    double predicted = 0;
    for (size_t i = 0; i < base.size(); ++i) {
      const Tensor d = Tensor::uniform(base[i].shape(), -1, 1, 500 + 10 * dir + i, 0, DType::f64);
      up.push_back(binary(BinaryOp::add, base[i], affine(d, eps, 0)));
      down.push_back(binary(BinaryOp::sub, base[i], affine(d, eps, 0)));
      predicted += sum(binary(BinaryOp::mul, analytic[i].data(), d), {}).item();
    }
    const double numeric = (learner.meta_loss(testing::leaves_of(up), batch).item() -
                            learner.meta_loss(testing::leaves_of(down), batch).item()) /
                           (2 * eps);
    EXPECT_NEAR(predicted, numeric, 1e-6 + 1e-5 * std::abs(numeric))
        << learner.name() << " direction " << dir;
  }
}

struct TrainResult {
  Metrics first, last;
};

/// `steps` Adam steps on the meta-loss of one fixed batch; the metrics of the first and last.
inline TrainResult train_on(const EpisodicLearner& learner, const data::EpisodeBatch& batch,
                            uint64_t init_seed, double lr, int steps) {
  nn::Params params(learner.specs());
  params.initialize(init_seed);
  optim::Adam adam(params, lr);
  TrainResult r;
  for (int step = 0; step < steps; ++step) {
    adam.zero_grad();
    Metrics m;
    learner.meta_loss(params.list(), batch, &m).backward();
    adam.step();
    if (step == 0) r.first = m;
    r.last = m;
  }
  return r;
}

}  // namespace cz::learn::testing
