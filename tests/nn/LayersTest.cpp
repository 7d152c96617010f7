// Functional layers against naive loops and hand-computed values.
#include "cezanne/nn/Layers.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::nn {
namespace {

Var random_var(const Shape& shape, uint64_t seed, bool requires_grad = false) {
  return Var(Tensor::uniform(shape, -1, 1, seed, 0, DType::f64), requires_grad);
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(Linear, MatchesNaiveLoops) {
  const int64_t n = 3, in = 4, out = 5;
  Var x = random_var({n, in}, 1), w = random_var({out, in}, 2), b = random_var({out}, 3);
  Var y = linear(x, w, b);
  ASSERT_EQ(y.shape(), (Shape{n, out}));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < out; ++o) {
      double s = b.data().at({o});
      for (int64_t k = 0; k < in; ++k) s += x.data().at({i, k}) * w.data().at({o, k});
      EXPECT_NEAR(y.data().at({i, o}), s, 1e-12);
    }
  // Without bias, and with extra leading dims.
  Var x3 = random_var({2, n, in}, 4);
  Var y3 = linear(x3, w);
  ASSERT_EQ(y3.shape(), (Shape{2, n, out}));
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t o = 0; o < out; ++o) {
        double s = 0;
        for (int64_t k = 0; k < in; ++k) s += x3.data().at({a, i, k}) * w.data().at({o, k});
        EXPECT_NEAR(y3.data().at({a, i, o}), s, 1e-12);
      }
  EXPECT_THROW(linear(random_var({n, in + 1}, 5), w, b), ShapeError);
  EXPECT_THROW(linear(x, w, random_var({out + 1}, 6)), ShapeError);
}

TEST(Linear, TaskAxisMatchesNaiveLoops) {
  const int64_t tasks = 3, n = 2, in = 4, out = 3;
  Var x = random_var({tasks, n, in}, 7), w = random_var({tasks, out, in}, 8),
      b = random_var({tasks, out}, 9);
  Var y = linear(x, w, b);
  ASSERT_EQ(y.shape(), (Shape{tasks, n, out}));
  for (int64_t t = 0; t < tasks; ++t)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t o = 0; o < out; ++o) {
        double s = b.data().at({t, o});
        for (int64_t k = 0; k < in; ++k) s += x.data().at({t, i, k}) * w.data().at({t, o, k});
        EXPECT_NEAR(y.data().at({t, i, o}), s, 1e-12);
      }
  EXPECT_THROW(linear(random_var({tasks + 1, n, in}, 10), w, b), ShapeError);
}

TEST(Linear, GradientsByHand) {
  // loss = sum(x @ w^T + b): dL/dw[o][k] = sum_i x[i][k], dL/db[o] = N, dL/dx[i][k] = sum_o
  // w[o][k].
  Var x = random_var({3, 2}, 11, true), w = random_var({4, 2}, 12, true),
      b = random_var({4}, 13, true);
  auto g = cz::grad({cz::sum(linear(x, w, b))}, {x, w, b});
  for (int64_t o = 0; o < 4; ++o) {
    EXPECT_NEAR(g[2].data().at({o}), 3.0, 1e-12);
    for (int64_t k = 0; k < 2; ++k)
      EXPECT_NEAR(g[1].data().at({o, k}),
                  x.data().at({0, k}) + x.data().at({1, k}) + x.data().at({2, k}), 1e-12);
  }
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t k = 0; k < 2; ++k) {
      double s = 0;
      for (int64_t o = 0; o < 4; ++o) s += w.data().at({o, k});
      EXPECT_NEAR(g[0].data().at({i, k}), s, 1e-12);
    }
}

TEST(LSTMCell, HandComputedSingleUnit) {
  // in = 1, H = 1: gate rows i, f, g, o.
  const double x0 = 0.5, h0 = -0.3, c0 = 0.8;
  const double wi[4] = {0.1, -0.2, 0.3, 0.4}, wh[4] = {0.5, 0.6, -0.7, 0.8},
               bb[4] = {0.01, 0.02, 0.03, 0.04};
  Var x(Tensor::from({x0}, {1, 1}, DType::f64)), h(Tensor::from({h0}, {1, 1}, DType::f64)),
      c(Tensor::from({c0}, {1, 1}, DType::f64));
  Var w_ih(Tensor::from({wi[0], wi[1], wi[2], wi[3]}, {4, 1}, DType::f64));
  Var w_hh(Tensor::from({wh[0], wh[1], wh[2], wh[3]}, {4, 1}, DType::f64));
  Var bias(Tensor::from({bb[0], bb[1], bb[2], bb[3]}, {4}, DType::f64));
  const LSTMState s = lstm_cell(x, h, c, w_ih, w_hh, bias);
  // i = sigmoid(0.05 - 0.15 + 0.01) = sigmoid(-0.09), f = sigmoid(-0.1 - 0.18 + 0.02) =
  // sigmoid(-0.26), g = tanh(0.15 + 0.21 + 0.03) = tanh(0.39), o = sigmoid(0.2 - 0.24 + 0.04) =
  // sigmoid(0).
  const double i = sigmoid(-0.09), f = sigmoid(-0.26), g = std::tanh(0.39), o = 0.5;
  const double c1 = f * c0 + i * g;  // 0.435364 * 0.8 + 0.477515 * 0.371360
  const double h1 = o * std::tanh(c1);
  EXPECT_NEAR(s.c.data().at({0, 0}), c1, 1e-12);
  EXPECT_NEAR(s.h.data().at({0, 0}), h1, 1e-12);
  EXPECT_NEAR(c1, 0.525621, 1e-6);  // the numbers written out
  EXPECT_NEAR(h1, 0.241013, 1e-6);
}

TEST(LSTMCell, MatchesLoopsAndTaskAxis) {
  const int64_t batch = 2, in = 3, hidden = 2, tasks = 2;
  Var x = random_var({batch, in}, 20), h = random_var({batch, hidden}, 21),
      c = random_var({batch, hidden}, 22);
  Var w_ih = random_var({4 * hidden, in}, 23), w_hh = random_var({4 * hidden, hidden}, 24),
      b = random_var({4 * hidden}, 25);
  const LSTMState s = lstm_cell(x, h, c, w_ih, w_hh, b);
  ASSERT_EQ(s.h.shape(), (Shape{batch, hidden}));
  ASSERT_EQ(s.c.shape(), (Shape{batch, hidden}));
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t j = 0; j < hidden; ++j) {
      double gate[4];
      for (int q = 0; q < 4; ++q) {
        const int64_t row = q * hidden + j;
        double z = b.data().at({row});
        for (int64_t k = 0; k < in; ++k) z += x.data().at({n, k}) * w_ih.data().at({row, k});
        for (int64_t k = 0; k < hidden; ++k) z += h.data().at({n, k}) * w_hh.data().at({row, k});
        gate[q] = z;
      }
      const double c1 =
          sigmoid(gate[1]) * c.data().at({n, j}) + sigmoid(gate[0]) * std::tanh(gate[2]);
      EXPECT_NEAR(s.c.data().at({n, j}), c1, 1e-12);
      EXPECT_NEAR(s.h.data().at({n, j}), sigmoid(gate[3]) * std::tanh(c1), 1e-12);
    }
  // Task axis: per-task weights, equal to separate calls.
  Var xt = random_var({tasks, batch, in}, 30), ht = random_var({tasks, batch, hidden}, 31),
      ct = random_var({tasks, batch, hidden}, 32);
  Var wit = random_var({tasks, 4 * hidden, in}, 33),
      wht = random_var({tasks, 4 * hidden, hidden}, 34), bt = random_var({tasks, 4 * hidden}, 35);
  const LSTMState st = lstm_cell(xt, ht, ct, wit, wht, bt);
  for (int64_t t = 0; t < tasks; ++t) {
    const LSTMState one =
        lstm_cell(cz::select(xt, 0, t), cz::select(ht, 0, t), cz::select(ct, 0, t),
                  cz::select(wit, 0, t), cz::select(wht, 0, t), cz::select(bt, 0, t));
    EXPECT_LT(max_abs_diff(st.h.data().select(0, t), one.h.data()), 1e-12);
    EXPECT_LT(max_abs_diff(st.c.data().select(0, t), one.c.data()), 1e-12);
  }
}

TEST(ConvBlock, ShapesAndFloorPooling) {
  Var x = random_var({2, 3, 9, 9}, 40);
  Var w = random_var({4, 3, 3, 3}, 41), b = random_var({4}, 42);
  Var gamma(Tensor::ones({4}, DType::f64)), beta(Tensor::zeros({4}, DType::f64));
  Var y = conv_block(x, w, b, gamma, beta);
  EXPECT_EQ(y.shape(), (Shape{2, 4, 4, 4}));
  // relu then pool: everything is >= 0.
  for (double v : y.data().to_vector()) EXPECT_GE(v, 0.0);
  EXPECT_THROW(batch_norm2d(random_var({2, 4, 9}, 43), gamma, beta), ShapeError);
  // nn::conv2d / max_pool2d / flatten / embedding are the engine's ops; unqualified calls resolve.
  using namespace cz::nn;
  Var z = max_pool2d(conv2d(x, w, b, 1, 1), 2);
  EXPECT_EQ(flatten(z, 1).shape(), (Shape{2, 4 * 4 * 4}));
  Var table = random_var({5, 3}, 44);
  Var e = embedding(table, Tensor::from_i64({4, 0, 4}, {3}));
  EXPECT_EQ(e.shape(), (Shape{3, 3}));
  EXPECT_DOUBLE_EQ(e.data().at({0, 2}), table.data().at({4, 2}));
}

TEST(BatchNorm2d, BatchStatisticsNormalize) {
  Var x = random_var({4, 2, 3, 3}, 50);
  Var gamma(Tensor::from({2.0, 0.5}, {2}, DType::f64)),
      beta(Tensor::from({1.0, -1.0}, {2}, DType::f64));
  Var y = batch_norm2d(x, gamma, beta);
  // Per channel: mean beta, (biased) std |gamma| (up to eps).
  for (int64_t ch = 0; ch < 2; ++ch) {
    const Tensor yc = y.data().select(1, ch).contiguous();
    const std::vector<double> v = yc.to_vector();
    double s = 0, s2 = 0;
    for (double a : v) s += a;
    const double mean = s / static_cast<double>(v.size());
    for (double a : v) s2 += (a - mean) * (a - mean);
    const double sd = std::sqrt(s2 / static_cast<double>(v.size()));
    EXPECT_NEAR(mean, ch == 0 ? 1.0 : -1.0, 1e-9);
    EXPECT_NEAR(sd, ch == 0 ? 2.0 : 0.5, 1e-3);
  }
}

TEST(Activation, Values) {
  Var x(Tensor::from({-1.0, 0.5}, {2}, DType::f64));
  EXPECT_EQ(activate(x, Activation::relu).data().to_vector(), (std::vector<double>{0.0, 0.5}));
  EXPECT_NEAR(activate(x, Activation::tanh).data().to_vector()[0], std::tanh(-1.0), 1e-12);
  EXPECT_NEAR(activate(x, Activation::sigmoid).data().to_vector()[1], sigmoid(0.5), 1e-12);
  EXPECT_TRUE(activate(x, Activation::identity).same(x));
}

}  // namespace
}  // namespace cz::nn
