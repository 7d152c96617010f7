// MLP and Conv4: parameter specs, output shapes, errors, and the task axis against separate calls.
#include <gtest/gtest.h>

#include <stdexcept>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/Linear.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::nn {
namespace {

Var random_input(const Shape& shape, uint64_t seed, DType dtype) {
  return Var(Tensor::uniform(shape, -1, 1, seed, 0, dtype));
}

// Per-task parameters [T, ...] stacked from T independently initialized parameter sets.
ParamList stack_tasks(const std::vector<Params>& per_task) {
  ParamList out;
  for (size_t i = 0; i < per_task[0].size(); ++i) {
    std::vector<Var> xs;
    for (const Params& p : per_task) xs.push_back(p[i]);
    out.push_back(cz::stack(xs, 0));
  }
  return out;
}

std::vector<Params> task_params(const Model& model, int64_t tasks, DType dtype) {
  std::vector<Params> ps;
  for (int64_t t = 0; t < tasks; ++t) {
    ps.emplace_back(model.specs(), dtype);
    ps.back().initialize(100 + static_cast<uint64_t>(t));
  }
  return ps;
}

TEST(Conv4, SpecsNamesAndShapes) {
  Conv4 model(32, 3, 84, 5);
  const auto specs = model.specs();
  ASSERT_EQ(specs.size(), 18u);
  EXPECT_EQ(specs[0].name, "block0.conv.weight");
  EXPECT_EQ(specs[0].shape, (Shape{32, 3, 3, 3}));
  EXPECT_EQ(specs[1].name, "block0.conv.bias");
  EXPECT_EQ(specs[2].name, "block0.bn.gamma");
  EXPECT_EQ(specs[3].name, "block0.bn.beta");
  EXPECT_EQ(specs[4].shape, (Shape{32, 32, 3, 3}));
  EXPECT_EQ(specs[15].name, "block3.bn.beta");
  EXPECT_EQ(model.head_begin(), 16u);
  EXPECT_EQ(specs[16].name, "head.weight");
  EXPECT_EQ(specs[16].shape, (Shape{5, 32 * 5 * 5}));
  EXPECT_EQ(specs[17].name, "head.bias");
  EXPECT_EQ(model.feature_size(), 800);
  EXPECT_EQ(Conv4(64, 1, 28, 20).feature_size(), 64);
}

TEST(Conv4, OutputShapes28And84) {
  {
    Conv4 model(8, 1, 28, 5);
    Params p(model.specs());
    p.initialize(1);
    Var x = random_input({6, 1, 28, 28}, 2, DType::f32);
    EXPECT_EQ(model.forward(p.list(), x).shape(), (Shape{6, 5}));
    EXPECT_EQ(model.embed(p.list(), x).shape(), (Shape{6, 8}));  // 28 -> 14 -> 7 -> 3 -> 1
  }
  {
    Conv4 model(8, 3, 84, 5);
    Params p(model.specs());
    p.initialize(1);
    Var x = random_input({2, 3, 84, 84}, 3, DType::f32);
    EXPECT_EQ(model.forward(p.list(), x).shape(), (Shape{2, 5}));
    EXPECT_EQ(model.embed(p.list(), x).shape(),
              (Shape{2, 8 * 5 * 5}));  // 84 -> 42 -> 21 -> 10 -> 5
  }
}

TEST(Conv4, Errors) {
  try {
    Conv4(32, 1, 8, 5);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "Conv4: image 8 is too small for 4 pooling layers (needs >= 16)");
  }
  EXPECT_NO_THROW(Conv4(32, 1, 16, 5));
  EXPECT_THROW(Conv4(0, 1, 28, 5), std::invalid_argument);
  Conv4 model(4, 1, 16, 3);
  Params p(model.specs());
  EXPECT_THROW(model.forward(p.list(), random_input({2, 3, 16, 16}, 1, DType::f32)), ShapeError);
  ParamList fewer(p.list().begin(), p.list().end() - 1);
  EXPECT_THROW(model.forward(fewer, random_input({2, 1, 16, 16}, 1, DType::f32)),
               std::invalid_argument);
}

void expect_tasks_match(const Model& model, const Shape& x_shape, DType dtype, double tol) {
  const int64_t tasks = x_shape[0];
  const std::vector<Params> per_task = task_params(model, tasks, dtype);
  Var x = random_input(x_shape, 7, dtype);
  Var y = model.forward_tasks(stack_tasks(per_task), x);
  Var e = model.embed_tasks(stack_tasks(per_task), x);
  for (int64_t t = 0; t < tasks; ++t) {
    Var xt = cz::select(x, 0, t);
    Var yt = model.forward(per_task[t].list(), xt);
    ASSERT_EQ(y.data().select(0, t).shape(), yt.shape());
    EXPECT_LT(max_abs_diff(y.data().select(0, t), yt.data()), tol) << "task " << t;
    EXPECT_LT(max_abs_diff(e.data().select(0, t), model.embed(per_task[t].list(), xt).data()), tol)
        << "task " << t;
  }
}

TEST(Conv4, ForwardTasksEqualsSeparateForwards) {
  expect_tasks_match(Conv4(4, 1, 20, 3), {3, 5, 1, 20, 20}, DType::f64, 1e-10);
  expect_tasks_match(Conv4(8, 3, 28, 5), {2, 4, 3, 28, 28}, DType::f32, 1e-5);
}

TEST(MLP, ForwardTasksEqualsSeparateForwards) {
  expect_tasks_match(MLP({3, 16, 8, 2}), {4, 5, 3}, DType::f64, 1e-12);
  expect_tasks_match(MLP({3, 16, 2}, Activation::tanh), {2, 5, 3}, DType::f32, 1e-5);
}

TEST(Conv4, ExpandedThetaGradientIsSumOverTasks) {
  // forward_tasks(expand_to_tasks(theta)) differentiates back to theta summed over tasks.
  Conv4 model(3, 1, 16, 2);
  Params theta(model.specs(), DType::f64);
  theta.initialize(5);
  const int64_t tasks = 3;
  Var x = random_input({tasks, 4, 1, 16, 16}, 8, DType::f64);
  Var r = random_input({tasks, 4, 2}, 9, DType::f64);
  Var y = model.forward_tasks(expand_to_tasks(theta.list(), tasks), x);
  std::vector<Var> g = cz::grad({cz::sum(y * r)}, theta.list());
  std::vector<Tensor> expected;
  for (int64_t t = 0; t < tasks; ++t) {
    Var yt = model.forward(theta.list(), cz::select(x, 0, t));
    std::vector<Var> gt = cz::grad({cz::sum(yt * cz::select(r, 0, t))}, theta.list());
    for (size_t i = 0; i < gt.size(); ++i) {
      if (t == 0)
        expected.push_back(gt[i].data().clone());
      else
        expected[i] = binary(BinaryOp::add, expected[i], gt[i].data());
    }
  }
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_EQ(g[i].shape(), theta.spec(i).shape) << theta.name(i);
    EXPECT_LT(max_abs_diff(g[i].data(), expected[i]), 1e-9) << theta.name(i);
  }
}

TEST(MLP, SpecsForwardAndErrors) {
  MLP model({3, 8, 4, 2});
  const auto specs = model.specs();
  ASSERT_EQ(specs.size(), 6u);
  EXPECT_EQ(specs[0].name, "layer0.weight");
  EXPECT_EQ(specs[0].shape, (Shape{8, 3}));
  EXPECT_EQ(specs[3].name, "layer1.bias");
  EXPECT_EQ(specs[3].shape, (Shape{4}));
  EXPECT_EQ(specs[4].name, "head.weight");
  EXPECT_EQ(specs[4].shape, (Shape{2, 4}));
  EXPECT_EQ(model.head_begin(), 4u);
  EXPECT_EQ(model.feature_size(), 4);
  EXPECT_EQ(model.output_size(), 2);
  EXPECT_EQ(MLP({5, 1}).head_begin(), 0u);

  Params p(specs, DType::f64);
  p.initialize(3);
  Var x = random_input({7, 3}, 4, DType::f64);
  const ParamList& l = p.list();
  Var h = cz::relu(linear(cz::relu(linear(x, l[0], l[1])), l[2], l[3]));
  Var expected = linear(h, l[4], l[5]);
  EXPECT_LT(max_abs_diff(model.embed(l, x).data(), h.data()), 1e-12);
  EXPECT_LT(max_abs_diff(model.forward(l, x).data(), expected.data()), 1e-12);

  EXPECT_THROW(MLP({3}), std::invalid_argument);
  EXPECT_THROW(MLP({3, 0, 2}), std::invalid_argument);
  ParamList swapped = l;
  std::swap(swapped[0], swapped[2]);
  EXPECT_THROW(model.forward(swapped, x), std::invalid_argument);
}

}  // namespace
}  // namespace cz::nn
