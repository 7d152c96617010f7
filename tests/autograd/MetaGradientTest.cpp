// MAML's meta-gradient through 1 and 3 inner steps, for an MLP and for Conv4 (batch norm on
// batch statistics), against central differences of the whole meta-objective.
#include <gtest/gtest.h>

#include "GradCheck.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/nn/Params.hpp"

namespace cz {
namespace {

struct Task {
  Var support_x, query_x;
  Tensor support_y, query_y;  // i64 labels (classification) or undefined (regression)
  Var support_t, query_t;     // regression targets
};

Var task_loss(const nn::Model& model, const nn::ParamList& p, const Var& x, const Tensor& labels, const Var& target) {
  const Var out = model.forward(p, x);
  return labels.defined() ? cross_entropy(out, labels) : mse(out, target);
}

// M(theta) = L_query(phi), phi = theta after `steps` SGD steps on L_support.
Var meta_objective(const nn::Model& model, const nn::ParamList& theta, const Task& t, int steps, double lr) {
  nn::ParamList phi = theta;
  for (int s = 0; s < steps; ++s) {
    const Var loss = task_loss(model, phi, t.support_x, t.support_y, t.support_t);
    const std::vector<Var> g = grad({loss}, phi, {}, {.create_graph = true});
    for (size_t i = 0; i < phi.size(); ++i) phi[i] = phi[i] - lr * g[i];
  }
  return task_loss(model, phi, t.query_x, t.query_y, t.query_t);
}

void check_meta_gradient(const nn::Model& model, const Task& task, int steps, double lr, uint64_t seed) {
  nn::Params params(model.specs(), DType::f64);
  params.initialize(seed);
  const nn::ParamList& theta = params.list();
  const std::vector<Var> analytic = grad({meta_objective(model, theta, task, steps, lr)}, theta);

  // Evaluate M at theta + delta (no history kept across evaluations).
  auto M = [&](const std::vector<Tensor>& point) {
    nn::ParamList p;
    for (const Tensor& t : point) p.emplace_back(t, true);
    return meta_objective(model, p, task, steps, lr).item();
  };
  std::vector<Tensor> base;
  for (const Var& v : theta) base.push_back(v.data().clone());

  // Directional derivatives along random directions check every coordinate at once.
  const double eps = 1e-7;
  for (uint64_t dir = 0; dir < 3; ++dir) {
    std::vector<Tensor> up, down;
    double predicted = 0;
    for (size_t i = 0; i < base.size(); ++i) {
      const Tensor d = testing::random_f64(base[i].shape(), 1000 * dir + i);
      up.push_back(binary(BinaryOp::add, base[i], affine(d, eps, 0)));
      down.push_back(binary(BinaryOp::sub, base[i], affine(d, eps, 0)));
      predicted += sum(binary(BinaryOp::mul, analytic[i].data(), d), {}).item();
    }
    const double numeric = (M(up) - M(down)) / (2 * eps);
    EXPECT_NEAR(predicted, numeric, 1e-6 + 1e-5 * std::abs(numeric)) << "direction " << dir << ", " << steps
                                                                      << " inner steps";
  }
  // And a few single coordinates of every parameter tensor.
  for (size_t i = 0; i < base.size(); ++i) {
    for (int64_t k : {int64_t{0}, base[i].numel() / 2, base[i].numel() - 1}) {
      std::vector<Tensor> up = base, down = base;
      up[i] = base[i].clone();
      down[i] = base[i].clone();
      up[i].data<double>()[k] += eps;
      down[i].data<double>()[k] -= eps;
      const double numeric = (M(up) - M(down)) / (2 * eps);
      EXPECT_NEAR(analytic[i].data().to_vector()[k], numeric, 1e-6 + 1e-5 * std::abs(numeric))
          << params.name(i) << "[" << k << "], " << steps << " inner steps";
    }
  }
}

Task sinusoid_task() {
  Task t;
  const Tensor xs = Tensor::uniform({5, 1}, -5, 5, 1, 0, DType::f64);
  const Tensor xq = Tensor::uniform({7, 1}, -5, 5, 2, 0, DType::f64);
  auto sine = [](const Tensor& x) { return affine(unary(UnaryOp::tanh, affine(x, 0.5, 0.3)), 2.0, 0.0); };
  t.support_x = Var(xs);
  t.query_x = Var(xq);
  t.support_t = Var(sine(xs));
  t.query_t = Var(sine(xq));
  return t;
}

Task image_task(int64_t ways, int64_t image) {
  Task t;
  t.support_x = Var(Tensor::uniform({ways, 1, image, image}, 0, 1, 3, 0, DType::f64));
  t.query_x = Var(Tensor::uniform({2 * ways, 1, image, image}, 0, 1, 4, 0, DType::f64));
  std::vector<int64_t> sy, qy;
  for (int64_t c = 0; c < ways; ++c) sy.push_back(c);
  for (int64_t c = 0; c < 2 * ways; ++c) qy.push_back(c % ways);
  t.support_y = Tensor::from_i64(sy, {ways});
  t.query_y = Tensor::from_i64(qy, {2 * ways});
  return t;
}

TEST(MetaGradient, MlpOneInnerStep) { check_meta_gradient(nn::MLP({1, 8, 8, 1}), sinusoid_task(), 1, 0.05, 1); }

TEST(MetaGradient, MlpThreeInnerSteps) { check_meta_gradient(nn::MLP({1, 8, 8, 1}), sinusoid_task(), 3, 0.05, 2); }

TEST(MetaGradient, Conv4OneInnerStep) { check_meta_gradient(nn::Conv4(3, 1, 16, 3), image_task(3, 16), 1, 0.4, 3); }

TEST(MetaGradient, Conv4ThreeInnerSteps) { check_meta_gradient(nn::Conv4(3, 1, 16, 3), image_task(3, 16), 3, 0.4, 4); }

}  // namespace
}  // namespace cz
