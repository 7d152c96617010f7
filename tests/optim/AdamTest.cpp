// Adam and AdamW against the update formulas written out by hand with doubles.
#include "cezanne/optim/Adam.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "cezanne/nn/Params.hpp"

namespace cz::optim {
namespace {

nn::Params two_element(DType dtype, std::vector<double> values) {
  nn::Params p({{"w", {static_cast<int64_t>(values.size())}}}, dtype);
  p.flat().copy_(Tensor::from(values, {static_cast<int64_t>(values.size())}, DType::f64));
  return p;
}

void set_grad(nn::Params& p, const std::vector<double>& g) {
  p.flat_grad().copy_(Tensor::from(g, {static_cast<int64_t>(g.size())}, DType::f64));
}

TEST(Adam, ThreeStepsMatchHandComputedValues) {
  const double lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  nn::Params p = two_element(DType::f64, {1.0, -2.0});
  Adam adam(p, lr, b1, b2, eps);
  const double grads[3][2] = {{0.5, -1.0}, {0.1, 0.3}, {-0.2, 0.4}};

  // Step 1 by hand: m = 0.1 g, v = 0.001 g^2, m_hat = g, v_hat = g^2, so p -= lr * g / (|g| + eps):
  // p = {1 - 0.1, -2 + 0.1} (up to eps).
  set_grad(p, {grads[0][0], grads[0][1]});
  adam.step();
  EXPECT_NEAR(p.flat().to_vector()[0], 0.9, 1e-8);
  EXPECT_NEAR(p.flat().to_vector()[1], -1.9, 1e-8);

  // Steps 2 and 3: the formula, element by element.
  double w[2] = {1.0, -2.0}, m[2] = {0, 0}, v[2] = {0, 0};
  for (int t = 1; t <= 3; ++t) {
    for (int k = 0; k < 2; ++k) {
      const double g = grads[t - 1][k];
      m[k] = b1 * m[k] + (1 - b1) * g;
      v[k] = b2 * v[k] + (1 - b2) * g * g;
      const double m_hat = m[k] / (1 - std::pow(b1, t));
      const double v_hat = v[k] / (1 - std::pow(b2, t));
      w[k] -= lr * m_hat / (std::sqrt(v_hat) + eps);
    }
    if (t >= 2) {
      set_grad(p, {grads[t - 1][0], grads[t - 1][1]});
      adam.step();
      if (t == 2) {
        EXPECT_NEAR(p.flat().to_vector()[0], 0.8196959064, 1e-9);
      }
    }
  }
  // The same numbers written out (element 0, step 2): m2 = 0.9*0.05 + 0.1*0.1 = 0.055,
  // v2 = 0.999*0.00025 + 0.001*0.01 = 0.00025975, m_hat = 0.055/0.19 = 0.289474,
  // v_hat = 0.00025975/0.001999 = 0.129940, p2 = 0.9 - 0.1*0.289474/(0.360472 + 1e-8) = 0.819696;
  // step 3 likewise gives 0.785261 and -1.849209.
  const std::vector<double> got = p.flat().to_vector();
  EXPECT_NEAR(got[0], w[0], 1e-12);
  EXPECT_NEAR(got[1], w[1], 1e-12);
  EXPECT_NEAR(got[0], 0.7852605318, 1e-9);
  EXPECT_NEAR(got[1], -1.8492092385, 1e-9);
  EXPECT_EQ(adam.step_count(), 3);
  EXPECT_NEAR(adam.state().at("exp_avg").to_vector()[0], m[0], 1e-15);
  EXPECT_NEAR(adam.state().at("exp_avg_sq").to_vector()[1], v[1], 1e-15);
  EXPECT_EQ(adam.state().at("step").to_i64_vector(), (std::vector<int64_t>{3}));
  EXPECT_STREQ(adam.name(), "Adam");
}

TEST(Adam, Float32Parameters) {
  nn::Params p = two_element(DType::f32, {1.0, -2.0});
  Adam adam(p, 0.01);
  set_grad(p, {2.0, -3.0});
  adam.step();
  EXPECT_NEAR(p.flat().to_vector()[0], 0.99, 1e-6);
  EXPECT_NEAR(p.flat().to_vector()[1], -1.99, 1e-6);
  // The update reaches the parameter Var (a view of flat()).
  EXPECT_NEAR(p["w"].data().at({0}), 0.99, 1e-6);
}

TEST(Adam, CoupledWeightDecayAddsToTheGradient) {
  // g' = g + wd * p, then Adam: first step moves by lr * sign(g') (m_hat / sqrt(v_hat) = sign).
  nn::Params p = two_element(DType::f64, {1.0, -2.0});
  Adam adam(p, 0.1, 0.9, 0.999, 1e-8, /*weight_decay=*/0.5);
  set_grad(p, {-0.2, 0.0});  // g' = {-0.2 + 0.5, 0 - 1.0} = {0.3, -1.0}
  adam.step();
  EXPECT_NEAR(p.flat().to_vector()[0], 0.9, 1e-7);
  EXPECT_NEAR(p.flat().to_vector()[1], -1.9, 1e-7);
}

TEST(AdamW, DecoupledDecay) {
  const double lr = 0.01, wd = 0.1;
  // Zero gradient: m = v = 0, so only the decay acts: p = p * (1 - lr * wd), exactly.
  nn::Params p = two_element(DType::f64, {1.0, -2.0});
  AdamW adamw(p, lr, 0.9, 0.999, 1e-8, wd);
  EXPECT_STREQ(adamw.name(), "AdamW");
  EXPECT_TRUE(adamw.decoupled());
  adamw.step();
  EXPECT_DOUBLE_EQ(p.flat().to_vector()[0], 1.0 * (1 - lr * wd));
  EXPECT_DOUBLE_EQ(p.flat().to_vector()[1], -2.0 * (1 - lr * wd));
  // With a gradient: decay first, then the Adam step on the raw gradient (not g + wd p).
  set_grad(p, {0.3, 0.3});
  const std::vector<double> before = p.flat().to_vector();
  adamw.step();
  // t = 2 for this element, but m and v came from g = 0 at t = 1: m = 0.1*0.3, v = 0.001*0.09.
  const double m = 0.1 * 0.3, v = 0.001 * 0.09;
  const double m_hat = m / (1 - 0.81), v_hat = v / (1 - 0.999 * 0.999);
  for (int k = 0; k < 2; ++k)
    EXPECT_NEAR(p.flat().to_vector()[k],
                before[k] * (1 - lr * wd) - lr * m_hat / (std::sqrt(v_hat) + 1e-8), 1e-12);
  // Plain Adam with the same decay differs (coupled).
  nn::Params q = two_element(DType::f64, {1.0, -2.0});
  Adam coupled(q, lr, 0.9, 0.999, 1e-8, wd);
  coupled.step();
  EXPECT_NEAR(q.flat().to_vector()[0], 1.0 - lr, 1e-7);  // g' = wd * p > 0: a full lr step
}

TEST(Adam, UnfrozenParameterStartsItsOwnBiasCorrection) {
  nn::Params p({{"a", {1}}, {"b", {1}}}, DType::f64);
  p.flat().copy_(Tensor::from({1.0, 1.0}, {2}, DType::f64));
  Adam adam(p, 0.1, 0.9, 0.999, 1e-8, 0.0, false, {{{0}}, {{1}, 1.0, /*frozen=*/true}});
  for (int s = 0; s < 5; ++s) {
    set_grad(p, {1.0, 1.0});
    adam.step();
  }
  EXPECT_EQ(p.flat().to_vector()[1], 1.0);  // frozen: untouched
  EXPECT_EQ(adam.state().at("step").to_i64_vector(), (std::vector<int64_t>{5, 0}));
  adam.group(1).frozen = false;
  set_grad(p, {1.0, 1.0});
  adam.step();
  // b's first update: t = 1, a full lr step.
  EXPECT_NEAR(p.flat().to_vector()[1], 0.9, 1e-7);
  EXPECT_EQ(adam.state().at("step").to_i64_vector(), (std::vector<int64_t>{6, 1}));
}

TEST(Adam, StateRoundTripResumesIdentically) {
  auto run = [](nn::Params& p, Adam& adam, int steps, int first) {
    for (int s = first; s < first + steps; ++s) {
      set_grad(p, {std::sin(s), std::cos(s)});
      adam.step();
    }
  };
  nn::Params a = two_element(DType::f64, {0.3, 0.7});
  Adam opt_a(a, 0.05);
  run(a, opt_a, 4, 0);
  // A "checkpoint": params, state, step count.
  nn::Params b = a.clone();
  Optimizer::State saved;
  for (const auto& [name, t] : opt_a.state()) saved[name] = t.clone();
  Adam opt_b(b, 0.05);
  opt_b.load_state(saved);
  opt_b.set_step_count(opt_a.step_count());
  run(a, opt_a, 3, 4);
  run(b, opt_b, 3, 4);
  EXPECT_EQ(a.flat().to_vector(), b.flat().to_vector());
  EXPECT_EQ(opt_b.step_count(), 7);
  saved.erase("exp_avg");
  EXPECT_THROW(opt_b.load_state(saved), std::invalid_argument);
}

TEST(Adam, InvalidArguments) {
  nn::Params p = two_element(DType::f64, {1.0, 2.0});
  EXPECT_THROW(Adam(p, -1.0), std::invalid_argument);
  EXPECT_THROW(Adam(p, 0.1, 1.0), std::invalid_argument);
  EXPECT_THROW(Adam(p, 0.1, 0.9, 0.999, 1e-8, -0.1), std::invalid_argument);
}

}  // namespace
}  // namespace cz::optim
