// The backward engine: grad/backward semantics, higher orders, and misuse errors.
#include <gtest/gtest.h>

#include <cmath>

#include "GradCheck.hpp"

namespace cz {
namespace {

Var leaf(std::vector<double> v, Shape s) { return Var(Tensor::from(v, s, DType::f64), true); }

TEST(Engine, GradOfPolynomialToThirdOrder) {
  const Var x = leaf({2.0}, {1});
  const Var y = sum(pow(x, 4.0));  // y = x^4
  const Var d1 = grad({y}, {x}, {}, {.create_graph = true})[0];
  EXPECT_DOUBLE_EQ(d1.item(), 32.0);  // 4x^3
  const Var d2 = grad({sum(d1)}, {x}, {}, {.create_graph = true})[0];
  EXPECT_DOUBLE_EQ(d2.item(), 48.0);  // 12x^2
  const Var d3 = grad({sum(d2)}, {x}, {}, {.create_graph = true})[0];
  EXPECT_DOUBLE_EQ(d3.item(), 48.0);  // 24x
  const Var d4 = grad({sum(d3)}, {x})[0];
  EXPECT_DOUBLE_EQ(d4.item(), 24.0);
}

TEST(Engine, HessianVectorProductMatchesExplicitHessian) {
  // f(x) = sum(exp(A x) * x): H v against the Hessian built column by column from
  // central differences of the analytic gradient.
  const Tensor A = testing::random_f64({4, 4}, 5);
  const Tensor v = testing::random_f64({4}, 6);
  auto f = [&](const Var& x) { return sum(exp(matmul(Var(A), x)) * x); };
  const Var x(testing::random_f64({4}, 7), true);
  const Var g = grad({f(x)}, {x}, {}, {.create_graph = true})[0];
  const Var hv = grad({sum(g * Var(v))}, {x})[0];
  auto gradient_at = [&](const Tensor& at) {
    const Var xv(at.clone(), true);
    return grad({f(xv)}, {xv})[0].data();
  };
  const double eps = 1e-6;
  std::vector<double> expected(4, 0.0);
  for (int j = 0; j < 4; ++j) {
    Tensor up = x.data().clone(), down = x.data().clone();
    up.data<double>()[j] += eps;
    down.data<double>()[j] -= eps;
    const std::vector<double> gu = gradient_at(up).to_vector(), gd = gradient_at(down).to_vector();
    for (int i = 0; i < 4; ++i) expected[i] += (gu[i] - gd[i]) / (2 * eps) * v.to_vector()[j];
  }
  const std::vector<double> got = hv.data().to_vector();
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(got[i], expected[i], 1e-6);
}

TEST(Engine, InnerLoopGradientThroughUpdates) {
  // x_{k+1} = x_k - lr * f'(x_k) with f(x) = x^3 / 3; dx_2/dx_0 by the chain rule.
  const double lr = 0.1, x0 = 0.7;
  const Var x = leaf({x0}, {1});
  Var xk = x;
  for (int k = 0; k < 2; ++k) xk = xk - lr * grad({sum(pow(xk, 3.0) / 3.0)}, {xk}, {}, {.create_graph = true})[0];
  const double d = grad({sum(xk)}, {x})[0].item();
  const double x1 = x0 - lr * x0 * x0;
  const double expected = (1 - 2 * lr * x1) * (1 - 2 * lr * x0);
  EXPECT_NEAR(d, expected, 1e-12);
}

TEST(Engine, BackwardAccumulatesIntoLeafGrad) {
  Var x = leaf({1.0, 2.0}, {2});
  sum(x * x).backward();
  sum(x * 3.0).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{5.0, 7.0}));
  x.zero_grad();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{0.0, 0.0}));
}

TEST(Engine, BackwardWritesIntoAGivenGradBuffer) {
  Tensor flat = Tensor::zeros({5}, DType::f64);
  Var x = leaf({1.0, 2.0}, {2});
  x.set_grad(flat.slice(0, 1, 3));
  sum(x * x).backward();
  EXPECT_EQ(flat.to_vector(), (std::vector<double>{0.0, 2.0, 4.0, 0.0, 0.0}));
}

TEST(Engine, GradLeavesLeafGradUntouched) {
  const Var x = leaf({3.0}, {1});
  EXPECT_DOUBLE_EQ(grad({sum(x * x)}, {x})[0].item(), 6.0);
  EXPECT_FALSE(x.grad().defined());
}

TEST(Engine, GradWithRespectToAnIntermediate) {
  const Var x = leaf({3.0}, {1});
  const Var y = x * x;
  const Var z = sum(exp(y));
  EXPECT_NEAR(grad({z}, {y})[0].item(), std::exp(9.0), 1e-9);
}

TEST(Engine, NoGradGuardRecordsNothing) {
  const Var x = leaf({1.0}, {1});
  Var y;
  {
    NoGradGuard guard;
    y = x * 2.0;
  }
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE((x * 2.0).requires_grad());
}

TEST(Engine, DetachCutsHistory) {
  const Var x = leaf({2.0}, {1});
  const Var y = sum(x * x.detach());
  EXPECT_DOUBLE_EQ(grad({y}, {x})[0].item(), 2.0);
}

TEST(Engine, UnusedInputIsAnErrorUnlessAllowed) {
  const Var x = leaf({1.0}, {1}), unused = leaf({1.0}, {1});
  const Var y = sum(x * x);
  EXPECT_THROW(
      {
        try {
          grad({y}, {x, unused}, {}, {.retain_graph = true});
        } catch (const AutogradError& e) {
          EXPECT_STREQ(e.what(), "grad: input 1 [1] is not used by the outputs; pass allow_unused=true");
          throw;
        }
      },
      AutogradError);
  const std::vector<Var> g = grad({y}, {x, unused}, {}, {.allow_unused = true});
  EXPECT_TRUE(g[0].defined());
  EXPECT_FALSE(g[1].defined());
}

TEST(Engine, BackwardThroughAFreedGraphThrows) {
  const Var x = leaf({1.0, 2.0}, {2});
  const Var y = sum(x * x);
  y.backward();
  try {
    y.backward();
    FAIL() << "expected AutogradError";
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("backward through a freed graph: op 'sum'"), std::string::npos) << e.what();
  }
}

TEST(Engine, RetainGraphAllowsASecondBackward) {
  const Var x = leaf({1.0, 2.0}, {2});
  const Var y = sum(x * x);
  y.backward(Var(), true);
  y.backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{4.0, 8.0}));
}

TEST(Engine, NonScalarWithoutSeedThrows) {
  const Var x = leaf({1.0, 2.0}, {2});
  try {
    grad({x * x}, {x});
    FAIL() << "expected AutogradError";
  } catch (const AutogradError& e) {
    EXPECT_STREQ(e.what(), "grad: output 0 of shape [2] is not a scalar; pass a seed gradient of that shape");
  }
  const Var seed(Tensor::from({1.0, 10.0}, {2}, DType::f64));
  EXPECT_EQ(grad({x * x}, {x}, {seed})[0].data().to_vector(), (std::vector<double>{2.0, 40.0}));
}

TEST(Engine, OutputWithoutHistoryThrows) {
  const Var x(Tensor::from({1.0}, {1}, DType::f64));
  EXPECT_THROW(sum(x).backward(), AutogradError);
}

TEST(Engine, ShapeMismatchNamesOpAndShapes) {
  const Var a = leaf({1, 2, 3, 4, 5, 6}, {2, 3}), b = leaf({1, 2}, {2});
  try {
    a + b;
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "add: shapes [2, 3] and [2] cannot be broadcast together");
  }
  try {
    matmul(a, a);
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "matmul: shapes [2, 3] and [2, 3] do not align (3 != 2)");
  }
}

TEST(Engine, WrongDtypesNameOpAndShapes) {
  const Var a = leaf({1, 2}, {2});
  const Var b(Tensor::from({1, 2}, {2}, DType::f32), true);
  try {
    a * b;
    FAIL();
  } catch (const DTypeError& e) {
    EXPECT_STREQ(e.what(), "mul: dtypes differ: f64 [2] and f32 [2]");
  }
  try {
    cross_entropy(a, Tensor::from({0, 1}, {2}, DType::f32));
    FAIL();
  } catch (const DTypeError& e) {
    EXPECT_STREQ(e.what(), "cross_entropy: labels must be i64, got f32 [2]");
  }
}

TEST(Engine, ConvolutionChannelMismatchIsAShapeError) {
  const Var x(Tensor::zeros({1, 3, 8, 8}), true), w(Tensor::zeros({4, 1, 3, 3}), true);
  try {
    conv2d(x, w, Var(), 1, 1);
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "conv2d: input [1, 3, 8, 8], weight [4, 1, 3, 3]: input has 3 channels, weight expects 1");
  }
}

TEST(Engine, GradStopsAtItsInputsAndLeavesTheirHistoryUsable) {
  // MAML's pattern: phi is computed from theta; grad w.r.t. phi must not run (and free) the
  // node that produced phi, so the query loss can still be differentiated back to theta.
  const Var theta = leaf({1.0, 2.0}, {2});
  const Var phi = expand(theta * 3.0, {2, 2});
  const Var g = grad({sum(phi * phi)}, {phi})[0];
  EXPECT_EQ(g.data().to_vector(), (std::vector<double>{6.0, 12.0, 6.0, 12.0}));
  const Var d = grad({sum(phi)}, {theta})[0];
  EXPECT_EQ(d.data().to_vector(), (std::vector<double>{6.0, 6.0}));
}

TEST(Engine, ManyOutputsWithSeeds) {
  const Var x = leaf({1.0, 2.0}, {2});
  const std::vector<Var> g = grad({sum(x * x), sum(x)}, {x});
  EXPECT_EQ(g[0].data().to_vector(), (std::vector<double>{3.0, 5.0}));
}

}  // namespace
}  // namespace cz
