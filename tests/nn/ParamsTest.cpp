// Params: flat layout, views sharing the flat buffers, gradient accumulation, copies, errors.
#include "cezanne/nn/Params.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::nn {
namespace {

std::vector<ParamSpec> three_specs() {
  return {{"a", {2, 3}, {Init::uniform, -1, 1}},
          {"b", {4}, {Init::constant, 0.5}},
          {"c", {3, 1, 2}, {Init::normal, 0, 1}}};
}

TEST(Params, FlatLayoutAndOffsets) {
  Params p(three_specs(), DType::f64);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p.numel(), 16);
  EXPECT_EQ(p.flat().shape(), (Shape{16}));
  EXPECT_EQ(p.flat_grad().shape(), (Shape{16}));
  EXPECT_TRUE(p.flat().is_contiguous());
  EXPECT_EQ(p.offset(0), 0);
  EXPECT_EQ(p.offset(1), 6);
  EXPECT_EQ(p.offset(2), 10);
  EXPECT_EQ(p.numel(2), 6);
  EXPECT_EQ(p.name(1), "b");
  EXPECT_EQ(p.spec(2).shape, (Shape{3, 1, 2}));
  for (size_t i = 0; i < p.size(); ++i) {
    const Var& v = p[i];
    EXPECT_TRUE(v.is_leaf());
    EXPECT_TRUE(v.requires_grad());
    EXPECT_EQ(v.shape(), p.spec(i).shape);
    EXPECT_EQ(v.name(), p.name(i));
    EXPECT_TRUE(v.data().shares_storage(p.flat()));
    EXPECT_EQ(v.data().offset(), p.offset(i));
    ASSERT_TRUE(v.grad().defined());
    EXPECT_TRUE(v.grad().shares_storage(p.flat_grad()));
    EXPECT_EQ(v.grad().offset(), p.offset(i));
  }
  // Writes to the flat buffer are the parameters' values (no copies).
  double* flat = p.flat().data<double>();
  for (int64_t k = 0; k < 16; ++k) flat[k] = static_cast<double>(k);
  EXPECT_DOUBLE_EQ(p["a"].data().at({1, 2}), 5.0);
  EXPECT_DOUBLE_EQ(p["b"].data().at({3}), 9.0);
  EXPECT_DOUBLE_EQ(p["c"].data().at({2, 0, 1}), 15.0);
  EXPECT_EQ(p.list().size(), 3u);
  EXPECT_TRUE(p.list()[1].same(p["b"]));
}

TEST(Params, BackwardAccumulatesIntoFlatGrad) {
  Params p(three_specs(), DType::f64);
  p.initialize(3);
  const Var& a = p["a"];
  const Var& b = p["b"];
  // loss = sum(a^2) + sum(3 b); c unused.
  Var loss = cz::sum(a * a) + cz::sum(b * 3.0);
  loss.backward();
  const std::vector<double> av = a.data().to_vector(), g = p.flat_grad().to_vector();
  for (int k = 0; k < 6; ++k) EXPECT_NEAR(g[k], 2 * av[k], 1e-12);
  for (int k = 6; k < 10; ++k) EXPECT_NEAR(g[k], 3.0, 1e-12);
  for (int k = 10; k < 16; ++k) EXPECT_EQ(g[k], 0.0);
  // A second backward accumulates.
  Var loss2 = cz::sum(b * 3.0);
  loss2.backward();
  EXPECT_NEAR(p.flat_grad().to_vector()[7], 6.0, 1e-12);
  EXPECT_TRUE(b.grad().shares_storage(p.flat_grad()));
  p.zero_grad();
  for (double x : p.flat_grad().to_vector()) EXPECT_EQ(x, 0.0);
}

TEST(Params, NameLookupErrors) {
  Params p(three_specs());
  EXPECT_EQ(p.index("c"), 2u);
  EXPECT_TRUE(p.contains("a"));
  EXPECT_FALSE(p.contains("zz"));
  try {
    (void)p["block9.conv.weight"];
    FAIL() << "expected std::out_of_range";
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("block9.conv.weight"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)p[size_t{3}], std::out_of_range);
  EXPECT_THROW(Params({{"w", {2}}, {"w", {3}}}), std::invalid_argument);
  EXPECT_THROW(Params({{"", {2}}}), std::invalid_argument);
}

TEST(Params, CopyFromAndClone) {
  Params p(three_specs(), DType::f64);
  p.initialize(11);
  Params q = p.clone();
  EXPECT_FALSE(q.flat().shares_storage(p.flat()));
  EXPECT_EQ(max_abs_diff(q.flat(), p.flat()), 0.0);
  for (double x : q.flat_grad().to_vector()) EXPECT_EQ(x, 0.0);
  // Independent: changing q leaves p.
  q.flat().data<double>()[0] += 1.0;
  EXPECT_NE(q.flat().to_vector()[0], p.flat().to_vector()[0]);
  q.copy_from(p);
  EXPECT_EQ(max_abs_diff(q.flat(), p.flat()), 0.0);
  // f32 copy of f64 data.
  Params r(three_specs(), DType::f32);
  r.copy_from(p);
  EXPECT_LT(max_abs_diff(r.flat().to(DType::f64), p.flat()), 1e-6);

  Params wrong_shape({{"a", {3, 2}}, {"b", {4}}, {"c", {3, 1, 2}}});
  try {
    wrong_shape.copy_from(p);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'a'"), std::string::npos) << e.what();
  }
  Params wrong_name({{"a", {2, 3}}, {"x", {4}}, {"c", {3, 1, 2}}});
  EXPECT_THROW(wrong_name.copy_from(p), std::invalid_argument);
  Params fewer({{"a", {2, 3}}});
  EXPECT_THROW(fewer.copy_from(p), std::invalid_argument);
}

TEST(Params, MoveKeepsViews) {
  Params p(three_specs(), DType::f64);
  p.initialize(5);
  const std::vector<double> before = p.flat().to_vector();
  Params moved = std::move(p);
  EXPECT_EQ(moved.flat().to_vector(), before);
  EXPECT_TRUE(moved["c"].data().shares_storage(moved.flat()));
}

TEST(Params, Empty) {
  Params p(std::vector<ParamSpec>{});
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(p.numel(), 0);
  p.initialize(1);
  p.zero_grad();
}

}  // namespace
}  // namespace cz::nn
