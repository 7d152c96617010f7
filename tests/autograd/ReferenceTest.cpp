// Differentiable ops against naive reference loops on every backend (the CPU, check:0 and
// check:1, whose convolution and batch norm are the backend interface's composites): conv2d
// (with bias, stride, padding and the task axis) and its two gradients, and batch_norm (batch
// statistics, task axis, running statistics; its fused backward against its formula).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "GradCheck.hpp"

namespace cz {
namespace {

// The backend under test; inputs are made on the host and moved to it, results come back.
class Reference : public ::testing::TestWithParam<Device> {
 protected:
  static Tensor on(const Tensor& t) { return t.to(GetParam()); }
  static Tensor host(const Tensor& t) { return t.to(Device::cpu()); }
};

double conv_ref(const Tensor& x, const Tensor& w, const Tensor& b, int n, int f, int oh, int ow, int stride, int pad) {
  const int64_t C = x.size(1), H = x.size(2), W = x.size(3), k = w.size(2);
  double s = b.defined() ? b.at({f}) : 0.0;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        const int64_t ih = oh * stride - pad + i, iw = ow * stride - pad + j;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W) s += x.at({n, c, ih, iw}) * w.at({f, c, i, j});
      }
  return s;
}

TEST_P(Reference, Conv2dMatchesNaiveLoops) {
  const Tensor x = testing::random_f64({2, 3, 7, 6}, 1), w = testing::random_f64({4, 3, 3, 3}, 2),
               b = testing::random_f64({4}, 3);
  for (int stride : {1, 2})
    for (int pad : {0, 1}) {
      const Tensor y = host(conv2d(Var(on(x)), Var(on(w)), Var(on(b)), stride, pad).data());
      ASSERT_EQ(y.shape(), (Shape{2, 4, (7 + 2 * pad - 3) / stride + 1, (6 + 2 * pad - 3) / stride + 1}));
      for (int n = 0; n < 2; ++n)
        for (int f = 0; f < 4; ++f)
          for (int oh = 0; oh < y.size(2); ++oh)
            for (int ow = 0; ow < y.size(3); ++ow)
              ASSERT_NEAR(y.at({n, f, oh, ow}), conv_ref(x, w, b, n, f, oh, ow, stride, pad), 1e-12);
    }
}

TEST_P(Reference, Conv2dTaskAxisIsAGroupedConvolution) {
  const Tensor x = testing::random_f64({3, 2, 2, 5, 5}, 4), w = testing::random_f64({3, 4, 2, 3, 3}, 5),
               b = testing::random_f64({3, 4}, 6);
  const Tensor y = host(conv2d(Var(on(x)), Var(on(w)), Var(on(b)), 1, 1).data());
  ASSERT_EQ(y.shape(), (Shape{3, 2, 4, 5, 5}));
  for (int t = 0; t < 3; ++t)
    for (int n = 0; n < 2; ++n)
      for (int f = 0; f < 4; ++f)
        for (int oh = 0; oh < 5; ++oh)
          for (int ow = 0; ow < 5; ++ow)
            ASSERT_NEAR(y.at({t, n, f, oh, ow}),
                        conv_ref(x.select(0, t), w.select(0, t), b.select(0, t), n, f, oh, ow, 1, 1), 1e-12);
}

// Many images, so that the kernels run on every thread and take images one at a time (large
// outputs) or in groups (small ones): both gradients against scatter loops.
TEST_P(Reference, Conv2dGradientsMatchNaiveLoops) {
  const int64_t F = 5, k = 3, pad = 1;
  for (const Shape& xs : {Shape{6, 3, 18, 17}, Shape{40, 4, 6, 6}})
    for (int64_t stride : {1, 2}) {
      const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
      const int64_t Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
      const Tensor x = testing::random_f64(xs, 7), w = testing::random_f64({F, C, k, k}, 8),
                   g = testing::random_f64({N, F, Ho, Wo}, 9);
      const Tensor dx = host(conv2d_input_grad(on(g), on(w), xs, stride, pad)),
                   dw = host(conv2d_weight_grad(on(x), on(g), k, k, stride, pad));
      Tensor dx_ref = Tensor::zeros(xs, DType::f64), dw_ref = Tensor::zeros({F, C, k, k}, DType::f64);
      double* dxp = dx_ref.data<double>();
      double* dwp = dw_ref.data<double>();
      for (int64_t n = 0; n < N; ++n)
        for (int64_t f = 0; f < F; ++f)
          for (int64_t oh = 0; oh < Ho; ++oh)
            for (int64_t ow = 0; ow < Wo; ++ow) {
              const double go = g.at({n, f, oh, ow});
              for (int64_t c = 0; c < C; ++c)
                for (int64_t i = 0; i < k; ++i)
                  for (int64_t j = 0; j < k; ++j) {
                    const int64_t ih = oh * stride - pad + i, iw = ow * stride - pad + j;
                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    dxp[((n * C + c) * H + ih) * W + iw] += go * w.at({f, c, i, j});
                    dwp[((f * C + c) * k + i) * k + j] += go * x.at({n, c, ih, iw});
                  }
            }
      for (int64_t e = 0; e < dx.numel(); ++e) ASSERT_NEAR(dx.data<double>()[e], dxp[e], 1e-10) << e;
      for (int64_t e = 0; e < dw.numel(); ++e) ASSERT_NEAR(dw.data<double>()[e], dwp[e], 1e-10) << e;
    }
}

// y[n,c,...] = (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c over all n and positions.
void batch_norm_ref(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps, const Tensor& y) {
  const int64_t N = x.size(0), C = x.size(1), P = x.numel() / (N * C);
  const Tensor xc = x.reshape({N, C, P}), yc = y.reshape({N, C, P});
  for (int64_t c = 0; c < C; ++c) {
    double mean = 0, var = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t p = 0; p < P; ++p) mean += xc.at({n, c, p});
    mean /= static_cast<double>(N * P);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t p = 0; p < P; ++p) var += std::pow(xc.at({n, c, p}) - mean, 2);
    var /= static_cast<double>(N * P);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t p = 0; p < P; ++p)
        ASSERT_NEAR(yc.at({n, c, p}), (xc.at({n, c, p}) - mean) / std::sqrt(var + eps) * gamma.at({c}) + beta.at({c}),
                    1e-12);
  }
}

TEST_P(Reference, BatchNormMatchesNaiveLoops) {
  const Tensor x = testing::random_f64({5, 3, 2, 4}, 7), g = testing::random_f64({3}, 8), b = testing::random_f64({3}, 9);
  batch_norm_ref(x, g, b, 1e-5, host(batch_norm(Var(on(x)), Var(on(g)), Var(on(b)), 1e-5).data()));
}

TEST_P(Reference, BatchNormTaskAxisKeepsPerTaskStatistics) {
  const Tensor x = testing::random_f64({2, 4, 3, 2, 2}, 10), g = testing::random_f64({2, 3}, 11),
               b = testing::random_f64({2, 3}, 12);
  const Tensor y = host(batch_norm(Var(on(x)), Var(on(g)), Var(on(b)), 1e-5, true).data());
  for (int t = 0; t < 2; ++t) batch_norm_ref(x.select(0, t), g.select(0, t), b.select(0, t), 1e-5, y.select(0, t));
}

// The fused first-order backward kernel and the differentiable formula used under create_graph
// give the same gradients (with and without gamma/beta, with the task axis).
TEST_P(Reference, BatchNormFusedBackwardEqualsItsDifferentiableFormula) {
  for (bool task_axis : {false, true})
    for (bool affine : {false, true}) {
      const Shape xs = task_axis ? Shape{2, 5, 3, 2, 3} : Shape{5, 3, 4, 2};
      const Shape ps = task_axis ? Shape{2, 3} : Shape{3};
      const Var x(on(testing::random_f64(xs, 20)), true);
      const Var gamma = affine ? Var(on(testing::random_f64(ps, 21)), true) : Var();
      const Var beta = affine ? Var(on(testing::random_f64(ps, 22)), true) : Var();
      const Var seed(on(testing::random_f64(xs, 23)));
      std::vector<Var> inputs = {x};
      if (affine) inputs.insert(inputs.end(), {gamma, beta});
      const std::vector<Var> fused = grad({batch_norm(x, gamma, beta, 1e-5, task_axis)}, inputs, {seed});
      const std::vector<Var> formula =
          grad({batch_norm(x, gamma, beta, 1e-5, task_axis)}, inputs, {seed}, {.create_graph = true});
      for (size_t i = 0; i < inputs.size(); ++i) {
        ASSERT_EQ(fused[i].shape(), formula[i].shape());
        const std::vector<double> a = fused[i].data().to_vector(), b = formula[i].data().to_vector();
        for (size_t e = 0; e < a.size(); ++e) ASSERT_NEAR(a[e], b[e], 1e-12) << "input " << i << " element " << e;
      }
    }
}

TEST_P(Reference, BatchNormRunningStatistics) {
  const Tensor x = testing::random_f64({6, 2, 3, 3}, 13);
  RunningStats running{Tensor::zeros({2}, DType::f64, GetParam()), Tensor::ones({2}, DType::f64, GetParam()), 0.1};
  batch_norm(Var(on(x)), Var(), Var(), 1e-5, false, &running, true);
  // Running mean moves 10% towards the batch mean; running var towards the unbiased batch var.
  for (int64_t c = 0; c < 2; ++c) {
    const std::vector<double> v = x.select(1, c).contiguous().to_vector();
    double mean = 0, var = 0;
    for (double a : v) mean += a;
    mean /= static_cast<double>(v.size());
    for (double a : v) var += (a - mean) * (a - mean);
    var /= static_cast<double>(v.size() - 1);
    EXPECT_NEAR(running.mean.at({c}), 0.1 * mean, 1e-12);
    EXPECT_NEAR(running.var.at({c}), 0.9 + 0.1 * var, 1e-12);
  }
  // In evaluation, the running statistics normalize.
  const Tensor y = host(batch_norm(Var(on(x)), Var(), Var(), 1e-5, false, &running, false).data());
  EXPECT_NEAR(y.at({0, 1, 0, 0}), (x.at({0, 1, 0, 0}) - running.mean.at({1})) / std::sqrt(running.var.at({1}) + 1e-5),
              1e-12);
}

INSTANTIATE_TEST_SUITE_P(Backends, Reference, ::testing::Values(Device::cpu(), Device::check(0), Device::check(1)),
                         [](const ::testing::TestParamInfo<Device>& info) {
                           std::string name = info.param.str();
                           std::replace(name.begin(), name.end(), ':', '_');
                           return name;
                         });

}  // namespace
}  // namespace cz
