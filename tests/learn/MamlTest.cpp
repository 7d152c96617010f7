// MAML / FOMAML / ANIL: meta-gradients against finite differences, first order against the
// second-order formula with its Hessian term dropped, task-axis batching, learning, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "LearnFixtures.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/EpisodicLearner.hpp"
#include "cezanne/learn/Maml.hpp"
#include "cezanne/learn/SinusoidTasks.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/optim/Adam.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {
namespace {

Tensor rand64(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1) {
  return Tensor::uniform(shape, lo, hi, seed, 0, DType::f64);
}

// T sinusoid-like regression tasks in f64: support [T, 5, 1], query [T, 7, 1].
data::EpisodeBatch regression_batch(int64_t tasks, uint64_t seed) {
  data::EpisodeBatch b;
  b.support = rand64({tasks, 5, 1}, seed, -5, 5);
  b.query = rand64({tasks, 7, 1}, seed + 1, -5, 5);
  const Tensor amp = rand64({tasks, 1, 1}, seed + 2, 0.5, 2);
  auto f = [&](const Tensor& x) {
    return binary(BinaryOp::mul, amp, unary(UnaryOp::tanh, affine(x, 0.5, 0.3)));
  };
  b.support_labels = f(b.support);
  b.query_labels = f(b.query);
  return b;
}

// T image tasks, `ways` classes, 1 shot, 2 queries per class, class-major labels.
data::EpisodeBatch image_batch(int64_t tasks, int64_t ways, int64_t image, uint64_t seed,
                               DType dtype = DType::f64) {
  data::EpisodeBatch b;
  b.support = Tensor::uniform({tasks, ways, 1, image, image}, 0, 1, seed, 0, dtype);
  b.query = Tensor::uniform({tasks, 2 * ways, 1, image, image}, 0, 1, seed + 1, 0, dtype);
  std::vector<int64_t> sy, qy;
  for (int64_t t = 0; t < tasks; ++t) {
    for (int64_t c = 0; c < ways; ++c) sy.push_back(c);
    for (int64_t c = 0; c < 2 * ways; ++c) qy.push_back(c / 2);
  }
  b.support_labels = Tensor::from_i64(sy, {tasks, ways});
  b.query_labels = Tensor::from_i64(qy, {tasks, 2 * ways});
  return b;
}

LearnerConfig config(const std::string& algorithm, std::shared_ptr<const nn::Model> model,
                     Loss loss, int64_t ways, double lr, int steps) {
  LearnerConfig c;
  c.algorithm = algorithm;
  c.model = std::move(model);
  c.loss = loss;
  c.ways = ways;
  c.inner_lr = lr;
  c.inner_steps = steps;
  return c;
}

// grad(meta_loss) against central differences along random directions and single coordinates.
void check_against_finite_differences(const EpisodicLearner& learner,
                                      const data::EpisodeBatch& batch, uint64_t seed) {
  nn::Params params(learner.specs(), DType::f64);
  params.initialize(seed);
  const std::vector<Tensor> base = testing::data_of(params.list());
  const nn::ParamList theta = testing::leaves_of(base);
  const std::vector<Var> analytic = grad({learner.meta_loss(theta, batch)}, theta);
  auto M = [&](const std::vector<Tensor>& point) {
    return learner.meta_loss(testing::leaves_of(point), batch).item();
  };
  const double eps = 1e-6;
  for (uint64_t dir = 0; dir < 3; ++dir) {
    std::vector<Tensor> up, down;
    double predicted = 0;
    for (size_t i = 0; i < base.size(); ++i) {
      const Tensor d = rand64(base[i].shape(), 7000 + 100 * dir + i);
      up.push_back(binary(BinaryOp::add, base[i], affine(d, eps, 0)));
      down.push_back(binary(BinaryOp::sub, base[i], affine(d, eps, 0)));
      predicted += sum(binary(BinaryOp::mul, analytic[i].data(), d), {}).item();
    }
    const double numeric = (M(up) - M(down)) / (2 * eps);
    EXPECT_NEAR(predicted, numeric, 1e-6 + 1e-5 * std::abs(numeric))
        << learner.name() << " direction " << dir;
  }
  for (size_t i = 0; i < base.size(); ++i) {
    const int64_t k = base[i].numel() / 2;
    std::vector<Tensor> up = base, down = base;
    up[i] = base[i].clone();
    down[i] = base[i].clone();
    up[i].data<double>()[k] += eps;
    down[i].data<double>()[k] -= eps;
    const double numeric = (M(up) - M(down)) / (2 * eps);
    EXPECT_NEAR(analytic[i].data().to_vector()[static_cast<size_t>(k)], numeric,
                1e-6 + 1e-5 * std::abs(numeric))
        << learner.name() << " " << params.name(i) << "[" << k << "]";
  }
}

TEST(Maml, MetaGradientEqualsFiniteDifferencesMlp) {
  auto model = std::make_shared<nn::MLP>(std::vector<int64_t>{1, 8, 8, 1});
  for (int steps : {1, 2}) {
    const auto learner = make_learner(config("maml", model, Loss::mse, 1, 0.05, steps));
    check_against_finite_differences(*learner, regression_batch(3, 11), 1);
  }
}

TEST(Maml, MetaGradientEqualsFiniteDifferencesConv4) {
  auto model = std::make_shared<nn::Conv4>(3, 1, 16, 3);
  const auto learner = make_learner(config("maml", model, Loss::cross_entropy, 3, 0.4, 2));
  check_against_finite_differences(*learner, image_batch(2, 3, 16, 21), 2);
}

TEST(Maml, AnilAndFirstOrderMetaGradientsEqualFiniteDifferences) {
  auto model = std::make_shared<nn::MLP>(std::vector<int64_t>{1, 8, 8, 1});
  check_against_finite_differences(*make_learner(config("anil", model, Loss::mse, 1, 0.05, 2)),
                                   regression_batch(3, 12), 3);
  // FOMAML's "meta-loss" is the same function as MAML's, but its gradient is not that of the
  // meta-loss; with one step and a tiny inner rate the difference is O(lr): check ANIL-Conv4.
  auto conv = std::make_shared<nn::Conv4>(3, 1, 16, 3);
  check_against_finite_differences(
      *make_learner(config("anil", conv, Loss::cross_entropy, 3, 0.4, 2)),
      image_batch(2, 3, 16, 22), 4);
}

// MAML's one-step meta-gradient is (1/T) sum_t (I - lr H_t) g_t, with g_t the query gradient at
// phi_t and H_t the support Hessian at theta; FOMAML keeps (1/T) sum_t g_t. Both are built here
// per task from the engine's grad and a Hessian-vector product, independently of the learner.
void check_first_order_is_second_order_without_hessian(std::shared_ptr<const nn::Model> model,
                                                       const data::EpisodeBatch& batch, Loss loss,
                                                       int64_t ways, double lr) {
  const auto maml = make_learner(config("maml", model, loss, ways, lr, 1));
  const auto fomaml = make_learner(config("fomaml", model, loss, ways, lr, 1));
  nn::Params params(maml->specs(), DType::f64);
  params.initialize(5);
  const std::vector<Tensor> base = testing::data_of(params.list());
  const nn::ParamList theta = testing::leaves_of(base);
  const std::vector<Var> g_maml = grad({maml->meta_loss(theta, batch)}, theta);
  const std::vector<Var> g_fo = grad({fomaml->meta_loss(theta, batch)}, theta);

  auto task_loss = [&](const nn::ParamList& p, const Tensor& x, const Tensor& y) {
    const Var out = model->forward(p, Var(x));
    return loss == Loss::mse ? mse(out, Var(y)) : cross_entropy(out, y);
  };
  const int64_t tasks = batch.support.size(0);
  std::vector<Tensor> expect_fo, expect_so;
  for (const Tensor& b : base) {
    expect_fo.push_back(Tensor::zeros(b.shape(), DType::f64));
    expect_so.push_back(Tensor::zeros(b.shape(), DType::f64));
  }
  for (int64_t t = 0; t < tasks; ++t) {
    const nn::ParamList th = testing::leaves_of(base);
    const Tensor xs = batch.support.select(0, t), ys = batch.support_labels.select(0, t);
    const Tensor xq = batch.query.select(0, t), yq = batch.query_labels.select(0, t);
    GradOptions second_order;
    second_order.create_graph = true;
    const std::vector<Var> gs = grad({task_loss(th, xs, ys)}, th, {}, second_order);
    nn::ParamList phi;
    for (size_t i = 0; i < th.size(); ++i)
      phi.emplace_back(binary(BinaryOp::sub, base[i], affine(gs[i].data(), lr, 0)), true);
    const std::vector<Var> gq = grad({task_loss(phi, xq, yq)}, phi);  // g_t at phi_t
    // H_t g_t = d/dtheta <grad L_s(theta), g_t>.
    Var dot;
    for (size_t i = 0; i < th.size(); ++i) {
      const Var term = sum(gs[i] * Var(gq[i].data()));
      dot = dot.defined() ? dot + term : term;
    }
    const std::vector<Var> hv = grad({dot}, th);
    for (size_t i = 0; i < th.size(); ++i) {
      const Tensor g = affine(gq[i].data(), 1.0 / tasks, 0);
      expect_fo[i] = binary(BinaryOp::add, expect_fo[i], g);
      expect_so[i] = binary(BinaryOp::add, expect_so[i],
                            binary(BinaryOp::sub, g, affine(hv[i].data(), lr / tasks, 0)));
    }
  }
  double second_order_size = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    EXPECT_LT(max_abs_diff(g_fo[i].data(), expect_fo[i]), 1e-10) << "fomaml " << params.name(i);
    EXPECT_LT(max_abs_diff(g_maml[i].data(), expect_so[i]), 1e-10) << "maml " << params.name(i);
    second_order_size = std::max(second_order_size, max_abs_diff(g_maml[i].data(), g_fo[i].data()));
  }
  EXPECT_GT(second_order_size, 1e-6) << "the Hessian term should matter in this problem";
}

TEST(Maml, FirstOrderEqualsSecondOrderWithTheHessianTermDropped) {
  check_first_order_is_second_order_without_hessian(
      std::make_shared<nn::MLP>(std::vector<int64_t>{1, 8, 8, 1}), regression_batch(3, 31),
      Loss::mse, 1, 0.05);
  check_first_order_is_second_order_without_hessian(std::make_shared<nn::Conv4>(3, 1, 16, 3),
                                                    image_batch(2, 3, 16, 32), Loss::cross_entropy,
                                                    3, 0.4);
}

// The task axis: one batched meta-loss equals the mean of T single-task meta-losses, and so do
// the meta-gradients.
TEST(Maml, BatchedTasksEqualOneTaskAtATime) {
  auto model = std::make_shared<nn::Conv4>(4, 1, 16, 3);
  for (const char* algorithm : {"maml", "fomaml", "anil"}) {
    const auto learner = make_learner(config(algorithm, model, Loss::cross_entropy, 3, 0.4, 2));
    nn::Params params(learner->specs(), DType::f64);
    params.initialize(9);
    const data::EpisodeBatch batch = image_batch(3, 3, 16, 41);
    const nn::ParamList theta = testing::leaves_of(testing::data_of(params.list()));
    const Var batched = learner->meta_loss(theta, batch);
    const std::vector<Var> g_batched = grad({batched}, theta);
    double mean = 0;
    std::vector<Tensor> g_mean;
    for (int64_t t = 0; t < 3; ++t) {
      const data::EpisodeBatch one = batch.tasks(t, t + 1);
      const nn::ParamList th = testing::leaves_of(testing::data_of(params.list()));
      const Var l = learner->meta_loss(th, one);
      mean += l.item() / 3;
      const std::vector<Var> g = grad({l}, th);
      for (size_t i = 0; i < g.size(); ++i) {
        const Tensor s = affine(g[i].data(), 1.0 / 3, 0);
        if (g_mean.size() <= i)
          g_mean.push_back(s);
        else
          g_mean[i] = binary(BinaryOp::add, g_mean[i], s);
      }
    }
    EXPECT_NEAR(batched.item(), mean, 1e-12) << algorithm;
    for (size_t i = 0; i < g_mean.size(); ++i)
      EXPECT_LT(max_abs_diff(g_batched[i].data(), g_mean[i]), 1e-10)
          << algorithm << " " << params.name(i);
  }
}

// MAML++'s multi-step loss: the mean over s = 1..steps of the meta-loss of s inner steps, and
// its meta-gradient is still that of the meta-objective.
TEST(Maml, MultiStepLossIsTheMeanOverStepCounts) {
  auto model = std::make_shared<nn::MLP>(std::vector<int64_t>{1, 8, 8, 1});
  const data::EpisodeBatch batch = regression_batch(3, 61);
  for (const char* algorithm : {"maml", "fomaml", "anil"}) {
    LearnerConfig c = config(algorithm, model, Loss::mse, 1, 0.05, 3);
    c.multi_step_loss = true;
    const auto learner = make_learner(c);
    nn::Params params(learner->specs(), DType::f64);
    params.initialize(4);
    double mean = 0;
    for (int s = 1; s <= 3; ++s)
      mean += make_learner(config(algorithm, model, Loss::mse, 1, 0.05, s))
                  ->meta_loss(params.list(), batch)
                  .item() / 3;
    Metrics m;
    EXPECT_NEAR(learner->meta_loss(params.list(), batch, &m).item(), mean, 1e-12 * (1 + mean))
        << algorithm;
    const double last = make_learner(config(algorithm, model, Loss::mse, 1, 0.05, 3))
                            ->meta_loss(params.list(), batch)
                            .item();
    EXPECT_NEAR(m.loss, last, 1e-12 * (1 + last))
        << algorithm << ": Metrics report the loss after the last step";
  }
  LearnerConfig c = config("maml", model, Loss::mse, 1, 0.05, 2);
  c.multi_step_loss = true;
  check_against_finite_differences(*make_learner(c), regression_batch(3, 62), 5);
}

// The zeroing trick: with zero_head, every learner of the MAML family is the plain learner at
// theta with its head set to zero (loss, meta-gradient of the body, predictions), and theta's
// own head gets a zero meta-gradient.
TEST(Maml, ZeroHeadIsThePlainLearnerFromAZeroHead) {
  auto model = std::make_shared<nn::Conv4>(4, 1, 16, 3);
  const data::EpisodeBatch batch = image_batch(2, 3, 16, 71);
  for (const char* algorithm : {"maml", "fomaml", "anil"}) {
    LearnerConfig zc = config(algorithm, model, Loss::cross_entropy, 3, 0.4, 2);
    zc.zero_head = true;
    const auto zero = make_learner(zc);
    const auto plain = make_learner(config(algorithm, model, Loss::cross_entropy, 3, 0.4, 2));
    nn::Params params(zero->specs(), DType::f64);
    params.initialize(8);
    std::vector<Tensor> zeroed = testing::data_of(params.list());
    for (size_t i = model->head_begin(); i < zeroed.size(); ++i) zeroed[i] = Tensor::zeros(zeroed[i].shape(), DType::f64);
    const nn::ParamList theta = params.list(), theta0 = testing::leaves_of(zeroed);
    const Var lz = zero->meta_loss(theta, batch), lp = plain->meta_loss(theta0, batch);
    EXPECT_NEAR(lz.item(), lp.item(), 1e-12) << algorithm;
    const std::vector<Var> gz = grad({lz}, theta), gp = grad({lp}, theta0);
    for (size_t i = 0; i < theta.size(); ++i) {
      if (i >= model->head_begin())
        EXPECT_EQ(sum(unary(UnaryOp::abs, gz[i].data()), {}).item(), 0.0) << algorithm << " " << params.name(i);
      else
        EXPECT_LT(max_abs_diff(gz[i].data(), gp[i].data()), 1e-12) << algorithm << " " << params.name(i);
    }
    const Tensor support = batch.support.select(0, 0), labels = batch.support_labels.select(0, 0),
                 query = batch.query.select(0, 0);
    EXPECT_LT(max_abs_diff(zero->predict(theta, support, labels, query), plain->predict(theta0, support, labels, query)),
              1e-12)
        << algorithm;
  }
}

// One inner step from a zero head moves only the head (the body's gradient goes through the
// head's zero weights), and the head's row for class c becomes inner_lr / N times the class's
// support feature less the mean over the support set (1 shot, N = ways support examples).
TEST(Maml, ZeroHeadFirstStepMakesPrototypeRows) {
  auto model = std::make_shared<nn::Conv4>(4, 1, 16, 3);
  LearnerConfig c = config("maml", model, Loss::cross_entropy, 3, 0.4, 1);
  c.zero_head = true;
  const auto learner = make_learner(c);
  const auto& maml = dynamic_cast<const Maml&>(*learner);
  nn::Params params(learner->specs(), DType::f64);
  params.initialize(9);
  const data::EpisodeBatch batch = image_batch(2, 3, 16, 72);
  const nn::ParamList phi = maml.adapt(params.list(), batch.support, batch.support_labels, 1, false);
  for (size_t i = 0; i < model->head_begin(); ++i)
    EXPECT_EQ(max_abs_diff(phi[i].data(), params.list()[i].data().unsqueeze(0).expand(phi[i].shape())), 0.0)
        << params.name(i);
  const Tensor features =
      model->embed_tasks(nn::expand_to_tasks(params.list(), 2), Var(batch.support)).data();  // [2, 3, D]
  const Tensor centred = binary(BinaryOp::sub, features, affine(sum(features, {1}, true), 1.0 / 3, 0));
  EXPECT_LT(max_abs_diff(phi[model->head_begin()].data(), affine(centred, 0.4 / 3, 0)), 1e-12);
  EXPECT_LT(max_abs_diff(phi[model->head_begin() + 1].data(), Tensor::zeros({2, 3}, DType::f64)), 1e-12);
}

TEST(Maml, AnilLeavesTheBodyUnadapted) {
  auto model = std::make_shared<nn::Conv4>(4, 1, 16, 3);
  const auto learner = make_learner(config("anil", model, Loss::cross_entropy, 3, 0.4, 3));
  const auto& maml = dynamic_cast<const Maml&>(*learner);
  nn::Params params(learner->specs(), DType::f64);
  params.initialize(3);
  const data::EpisodeBatch batch = image_batch(2, 3, 16, 51);
  const nn::ParamList phi =
      maml.adapt(params.list(), batch.support, batch.support_labels, 3, false);
  for (size_t i = 0; i < phi.size(); ++i) {
    const Tensor expanded = params.list()[i].data().unsqueeze(0).expand(phi[i].shape());
    const double moved = max_abs_diff(phi[i].data(), expanded);
    if (i < model->head_begin())
      EXPECT_EQ(moved, 0.0) << params.name(i);
    else
      EXPECT_GT(moved, 1e-6) << params.name(i);
  }
}

// predict adapts with test_inner_steps (more steps fit the support set better) and keeps no
// history on theta.
TEST(Maml, PredictUsesTestStepsAndKeepsNoHistory) {
  auto model = std::make_shared<nn::MLP>(std::vector<int64_t>{1, 40, 40, 1});
  LearnerConfig c = config("maml", model, Loss::mse, 1, 0.01, 1);
  nn::Params params(model->specs());
  params.initialize(4);
  const SinusoidTasks tasks({.shots = 10, .queries = 10}, 1);
  const data::Episode e = tasks.sample(0, 0);
  double previous = 1e300;
  for (int test_steps : {1, 5, 20}) {
    c.test_inner_steps = test_steps;
    const auto learner = make_learner(c);
    EXPECT_EQ(learner->test_steps(), test_steps);
    // Predicting the support set itself: the support loss must fall with more steps.
    const Tensor y = learner->predict(params.list(), e.support, e.support_labels, e.support);
    ASSERT_EQ(y.shape(), (Shape{10, 1}));
    const Tensor d = binary(BinaryOp::sub, y, e.support_labels);
    const double loss = sum(binary(BinaryOp::mul, d, d), {}).item();
    EXPECT_LT(loss, previous) << test_steps << " steps";
    previous = loss;
  }
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_FALSE(params.list()[i].grad().defined() &&
                 sum(unary(UnaryOp::abs, params.list()[i].grad()), {}).item() > 0);
}

// The pre-train + fine-tune baseline: meta-training fits theta itself (the meta-loss is the
// query loss of the unadapted model, its gradient the plain gradient), and at test time it
// fine-tunes exactly as MAML adapts.
TEST(Maml, PretrainFitsThetaAndFineTunesLikeMaml) {
  auto model = std::make_shared<nn::MLP>(std::vector<int64_t>{1, 8, 1});
  nn::Params params(model->specs(), DType::f64);
  params.initialize(5);
  const data::EpisodeBatch b = regression_batch(3, 71);
  const auto pretrain = make_learner(config("pretrain", model, Loss::mse, 1, 0.05, 1));
  EXPECT_EQ(pretrain->name(), "pretrain");
  const Var loss = pretrain->meta_loss(params.list(), b);
  const Var direct = mse(model->forward_tasks(nn::expand_to_tasks(params.list(), 3), Var(b.query)),
                         Var(b.query_labels));
  EXPECT_NEAR(loss.item(), direct.item(), 1e-12);
  const std::vector<Var> g = grad({loss}, params.list());
  const std::vector<Var> h = grad({direct}, params.list());
  for (size_t i = 0; i < g.size(); ++i)
    EXPECT_LT(max_abs_diff(g[i].data(), h[i].data()), 1e-12) << params.name(i);

  LearnerConfig c = config("pretrain", model, Loss::mse, 1, 0.05, 1);
  c.test_inner_steps = 5;
  LearnerConfig m = c;
  m.algorithm = "maml";
  const Tensor support = b.support.select(0, 0), labels = b.support_labels.select(0, 0),
               query = b.query.select(0, 0);
  const Tensor fine_tuned = make_learner(c)->predict(params.list(), support, labels, query);
  const Tensor adapted = make_learner(m)->predict(params.list(), support, labels, query);
  EXPECT_LT(max_abs_diff(fine_tuned, adapted), 1e-12);
}

// A fixed small problem: the meta-loss falls under Adam for each of the three algorithms.
TEST(Maml, MetaLossFallsOnAFixedProblem) {
  auto model = std::make_shared<nn::Conv4>(8, 1, 16, 3);
  const data::EpisodeBatch batch = image_batch(2, 3, 16, 61, DType::f32);
  for (const char* algorithm : {"maml", "fomaml", "anil"}) {
    // FOMAML ignores how the inner step moves with theta, so it wants a milder inner step.
    const double inner_lr = std::string(algorithm) == "fomaml" ? 0.1 : 0.4;
    const auto learner =
        make_learner(config(algorithm, model, Loss::cross_entropy, 3, inner_lr, 1));
    const auto [first, last] = testing::train_on(*learner, batch, 6, 0.003, 30);
    EXPECT_LT(last.loss, 0.5 * first.loss)
        << algorithm << ": " << first.loss << " -> " << last.loss;
    EXPECT_GT(last.accuracy, first.accuracy - 1e-12) << algorithm;
  }
}

// Sinusoid regression (the MAML paper's §5.1 setup, shortened): the post-adaptation query MSE
// on fresh tasks falls well below the pre-training one.
TEST(Maml, SinusoidMetaTrainingReducesTheAdaptedError) {
  auto model = std::make_shared<nn::MLP>(SinusoidTasks::model());
  LearnerConfig c = config("maml", model, Loss::mse, 1, 0.01, 1);
  const auto learner = make_learner(c);
  nn::Params params(learner->specs());
  params.initialize(7);
  optim::Adam adam(params, 0.001);
  const SinusoidTasks train({.shots = 10, .queries = 10}, 3);
  std::vector<int64_t> tasks(10);
  for (int64_t t = 0; t < 10; ++t) tasks[static_cast<size_t>(t)] = t;
  double first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    adam.zero_grad();
    Metrics m;
    learner->meta_loss(params.list(), train.sample_batch(step, tasks), &m).backward();
    adam.step();
    if (step < 20) first += m.loss / 20;
    if (step >= 280) last += m.loss / 20;
  }
  EXPECT_LT(last, 0.6 * first) << first << " -> " << last;
}

TEST(Maml, BadInputGivesClearErrors) {
  auto conv = std::make_shared<nn::Conv4>(4, 1, 28, 5);
  // ways larger than the head
  try {
    make_learner(config("maml", conv, Loss::cross_entropy, 20, 0.4, 1));
    FAIL() << "no error for 20 ways on a 5-output head";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "maml: 20 ways but the model's head has 5 outputs");
  }
  // a model that does not fit the image size
  const auto learner = make_learner(config("anil", conv, Loss::cross_entropy, 5, 0.4, 1));
  nn::Params params(learner->specs());
  try {
    learner->meta_loss(params.list(), image_batch(2, 5, 16, 1, DType::f32));
    FAIL() << "no error for 16x16 images on a 28x28 Conv4";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "anil: support examples are [1, 16, 16] but the model (Conv4) takes [1, 28, 28]: "
                 "the model does not "
                 "fit the data");
  }
  // labels outside the ways
  auto small = std::make_shared<nn::Conv4>(4, 1, 16, 5);
  const auto three = make_learner(config("maml", small, Loss::cross_entropy, 3, 0.4, 1));
  nn::Params p3(three->specs());
  testing::expect_invalid_argument(
      [&] { three->meta_loss(p3.list(), image_batch(1, 4, 16, 1, DType::f32)); },
      "maml: support label 3 is outside 0..2 (3-way learner)");
  // unknown algorithm, checkpoint of another algorithm
  EXPECT_THROW(make_learner(config("reptile", conv, Loss::cross_entropy, 5, 0.4, 1)),
               std::invalid_argument);
  testing::expect_invalid_argument([&] { learner->check_checkpoint("protonet", learner->specs()); },
                                   "checkpoint of 'protonet' cannot be loaded into 'anil'");
  EXPECT_NO_THROW(learner->check_checkpoint("anil", learner->specs()));
  std::vector<nn::ParamSpec> other = learner->specs();
  other.back().shape = {3};
  EXPECT_THROW(learner->check_checkpoint("anil", other), std::invalid_argument);
  EXPECT_THROW(make_learner(config("maml", conv, Loss::cross_entropy, 5, 0.4, 0)),
               std::invalid_argument);
  EXPECT_THROW(make_learner(config("maml", conv, Loss::cross_entropy, 5, -1.0, 1)),
               std::invalid_argument);
  EXPECT_THROW(make_learner(config("maml", nullptr, Loss::cross_entropy, 5, 0.4, 1)),
               std::invalid_argument);
  LearnerConfig zero = config("protonet", conv, Loss::cross_entropy, 5, 0.4, 1);
  zero.zero_head = true;
  testing::expect_invalid_argument(
      [&] { make_learner(zero); },
      "protonet: zero_head (--zero-head) is for the learners with an inner loop: maml, fomaml, anil");
}

}  // namespace
}  // namespace cz::learn
