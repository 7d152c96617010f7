// Initializers: deterministic per (seed, parameter index), with the documented bounds and moments.
#include "cezanne/nn/Init.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cezanne/nn/Params.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::nn {
namespace {

struct Moments {
  double mean, stddev, max_abs, min, max;
};

Moments moments(const Tensor& t) {
  const std::vector<double> v = t.to_vector();
  double s = 0, s2 = 0, m = 0, lo = v[0], hi = v[0];
  for (double x : v) {
    s += x;
    m = std::max(m, std::abs(x));
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  const double mean = s / static_cast<double>(v.size());
  for (double x : v) s2 += (x - mean) * (x - mean);
  return {mean, std::sqrt(s2 / static_cast<double>(v.size())), m, lo, hi};
}

TEST(Init, Fans) {
  EXPECT_EQ(fans({64, 100}), (std::pair<int64_t, int64_t>{100, 64}));
  EXPECT_EQ(fans({32, 16, 3, 3}), (std::pair<int64_t, int64_t>{144, 288}));
  EXPECT_EQ(fans({7}), (std::pair<int64_t, int64_t>{7, 7}));
  EXPECT_NEAR(init_bound({Init::kaiming_uniform}, {64, 100}), std::sqrt(2.0) * std::sqrt(3.0 / 100),
              1e-15);
  EXPECT_NEAR(init_bound({Init::kaiming_uniform, 1.0}, {64, 100}), std::sqrt(3.0 / 100), 1e-15);
  EXPECT_NEAR(init_bound({Init::xavier_uniform}, {32, 16, 3, 3}), std::sqrt(6.0 / 432), 1e-15);
}

TEST(Init, DeterministicAndIndependentOfOtherParameters) {
  const std::vector<ParamSpec> specs{{"w", {40, 30}, {Init::kaiming_uniform}},
                                     {"v", {500}, {Init::normal, 0, 1}}};
  Params a(specs), b(specs), c(specs);
  a.initialize(42);
  b.initialize(42);
  c.initialize(43);
  EXPECT_EQ(a.flat().to_vector(), b.flat().to_vector());
  EXPECT_GT(max_abs_diff(a["w"].data(), c["w"].data()), 0.01);
  EXPECT_GT(max_abs_diff(a["v"].data(), c["v"].data()), 0.1);
  // Parameter 0 is the same whatever follows it; parameter 1 depends on its index only.
  Params d({{"w", {40, 30}, {Init::kaiming_uniform}}, {"other", {3, 3}, {Init::uniform, -5, 5}}});
  d.initialize(42);
  EXPECT_EQ(d["w"].data().to_vector(), a["w"].data().to_vector());
  Params e({{"x", {7}, {Init::zeros}}, {"v", {500}, {Init::normal, 0, 1}}});
  e.initialize(42);
  EXPECT_EQ(e["v"].data().to_vector(), a["v"].data().to_vector());
}

TEST(Init, KaimingUniformBoundsAndMoments) {
  Params p({{"w", {64, 100}, {Init::kaiming_uniform}}}, DType::f64);
  p.initialize(7);
  const double bound = std::sqrt(2.0) * std::sqrt(3.0 / 100.0);  // 0.2449
  const Moments m = moments(p["w"].data());
  EXPECT_LE(m.max_abs, bound);
  EXPECT_GT(m.max_abs, 0.99 * bound);
  EXPECT_NEAR(m.mean, 0.0, 0.01);                        // sd of the mean: 0.0018
  EXPECT_NEAR(m.stddev, bound / std::sqrt(3.0), 0.004);  // 0.1414
}

TEST(Init, XavierUniformBoundsAndMoments) {
  Params p({{"w", {32, 16, 3, 3}, {Init::xavier_uniform}}}, DType::f32);
  p.initialize(9);
  const double bound = std::sqrt(6.0 / (144.0 + 288.0));  // 0.1179
  const Moments m = moments(p["w"].data());
  EXPECT_LE(m.max_abs, bound + 1e-7);
  EXPECT_GT(m.max_abs, 0.99 * bound);
  EXPECT_NEAR(m.mean, 0.0, 0.005);
  EXPECT_NEAR(m.stddev, bound / std::sqrt(3.0), 0.003);
}

TEST(Init, NormalUniformConstant) {
  Params p({{"n", {40000}, {Init::normal, 0.5, 2.0}},
            {"u", {40000}, {Init::uniform, -3.0, 1.0}},
            {"c", {5}, {Init::constant, 0.25}},
            {"o", {5}, {Init::ones}},
            {"z", {5}, {Init::zeros}}},
           DType::f64);
  p.flat().fill_(9.0);
  p.initialize(1);
  const Moments n = moments(p["n"].data());
  EXPECT_NEAR(n.mean, 0.5, 0.04);  // sd of the mean: 0.01
  EXPECT_NEAR(n.stddev, 2.0, 0.04);
  const Moments u = moments(p["u"].data());
  EXPECT_GE(u.min, -3.0);
  EXPECT_LT(u.max, 1.0);
  EXPECT_NEAR(u.mean, -1.0, 0.03);
  EXPECT_NEAR(u.stddev, 4.0 / std::sqrt(12.0), 0.02);
  for (double x : p["c"].data().to_vector()) EXPECT_EQ(x, 0.25);
  for (double x : p["o"].data().to_vector()) EXPECT_EQ(x, 1.0);
  for (double x : p["z"].data().to_vector()) EXPECT_EQ(x, 0.0);
}

}  // namespace
}  // namespace cz::nn
