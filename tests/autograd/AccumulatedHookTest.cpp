// Leaves' accumulated hooks: a leaf's gradient is settled, and its hook runs, as soon as the last
// op using it has run its backward — first-order and through a second-order inner loop.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "GradCheck.hpp"

namespace cz {
namespace {

void expect_same(const Tensor& a, const Tensor& b) {
  ASSERT_TRUE(a.defined());
  EXPECT_EQ(a.to_vector(), b.to_vector());
}

Var leaf(std::vector<double> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Var(Tensor::from(v, {n}, DType::f64), true);
}

// Records, at each hook, the leaf's name and every leaf's gradient as it stands.
struct Recorder {
  std::vector<std::string> order;
  std::vector<std::vector<Tensor>> seen;  // per hook call: the grads of `leaves` (clones)
  std::vector<Var> leaves;

  void arm() {
    for (Var& v : leaves)
      v.set_accumulated_hook([this, name = v.name()] {
        order.push_back(name);
        std::vector<Tensor> grads;
        for (const Var& l : leaves) grads.push_back(l.grad().defined() ? l.grad().clone() : Tensor());
        seen.push_back(grads);
      });
  }
};

TEST(AccumulatedHook, TheLeafNearTheOutputSettlesFirstWithItsWholeGradient) {
  // y = sum(w2 * tanh(w1 * x) * w2): w1 is used first, w2 last (twice). One op per statement:
  // the order of creation is the order of the graph's nodes.
  Var w1 = leaf({0.3, -0.8, 1.1}), w2 = leaf({0.5, 0.25, -2.0});
  w1.set_name("w1");
  w2.set_name("w2");
  const Var x(Tensor::from(std::vector<double>{1.5, 0.5, -1.0}, {3}, DType::f64));
  const Var h = tanh(w1 * x);
  const Var u = w2 * h;
  const Var y = sum(u * w2);
  const std::vector<Var> reference = grad({y}, {w1, w2}, {}, {.retain_graph = true});
  Recorder r;
  r.leaves = {w1, w2};
  r.arm();
  y.backward();
  ASSERT_EQ(r.order, (std::vector<std::string>{"w2", "w1"}));
  // At w2's hook its gradient (both uses summed) is final and w1 has none yet.
  expect_same(r.seen[0][1], reference[1].data());
  EXPECT_FALSE(r.seen[0][0].defined());
  expect_same(r.seen[1][0], reference[0].data());
  // The result is bit for bit what grad() gives.
  expect_same(w1.grad(), reference[0].data());
  expect_same(w2.grad(), reference[1].data());
}

TEST(AccumulatedHook, SecondOrderInnerLoopHooksFireOnceWithTheFinalGradient) {
  // MAML's outer gradient: w' = w - a * d(inner)/dw (create_graph), outer = f(w', b); the leaves
  // w and b get their gradient through the inner loop's graph.
  Var w = leaf({0.4, -0.3, 0.9}), b = leaf({0.2, 0.1, -0.5});
  w.set_name("w");
  b.set_name("b");
  const Var x(Tensor::from(std::vector<double>{0.7, -1.2, 0.4}, {3}, DType::f64));
  auto outer_loss = [&] {
    const Var inner = sum(tanh(w * x + b) * tanh(w * x + b));
    const std::vector<Var> g = grad({inner}, {w, b}, {}, {.create_graph = true});
    const Var w1 = w - 0.5 * g[0], b1 = b - 0.5 * g[1];
    return sum(exp(w1 * x) * b1);
  };
  const std::vector<Var> reference = grad({outer_loss()}, {w, b});
  Recorder r;
  r.leaves = {w, b};
  r.arm();
  outer_loss().backward();
  ASSERT_EQ(r.order.size(), 2u);  // once each, although each feeds many nodes
  for (size_t k = 0; k < 2; ++k) {
    const size_t i = r.order[k] == "w" ? 0 : 1;
    expect_same(r.seen[k][i], reference[i].data());
  }
  expect_same(w.grad(), reference[0].data());
  expect_same(b.grad(), reference[1].data());
}

TEST(AccumulatedHook, RunsOncePerBackwardNeverForGradAndCanBeRemoved) {
  Var w = leaf({1.0, 2.0});
  int calls = 0;
  w.set_accumulated_hook([&] { ++calls; });
  grad({sum(w * w)}, {w});
  EXPECT_EQ(calls, 0);  // grad() leaves grad() buffers and hooks alone
  sum(w * w).backward();
  sum(w * w * w).backward();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(w.grad().to_vector(), (std::vector<double>{2.0 + 3.0, 4.0 + 12.0}));
  w.set_accumulated_hook({});
  sum(w).backward();
  EXPECT_EQ(calls, 2);
}

TEST(AccumulatedHook, OnlyLeavesTakeOne) {
  Var w = leaf({1.0});
  w.set_name("w");
  Var y = w * w;
  y.set_name("y");
  try {
    y.set_accumulated_hook([] {});
    FAIL() << "no error";
  } catch (const AutogradError& e) {
    EXPECT_STREQ(e.what(), "set_accumulated_hook: 'y' is not a leaf");
  }
}

}  // namespace
}  // namespace cz
