// Tensor storage, views, copies, broadcasting and the tensor-level kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cezanne/tensor/Ops.hpp"
#include "cezanne/backend/Backend.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz {
namespace {

Tensor iota(const Shape& s, DType t = DType::f32) { return Tensor::arange(shape_numel(s), t).reshape(s); }

TEST(Tensor, ViewsShareStorage) {
  const Tensor x = iota({2, 3, 4});
  const Tensor t = x.transpose(0, 2);
  EXPECT_TRUE(t.shares_storage(x));
  EXPECT_EQ(t.shape(), (Shape{4, 3, 2}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_DOUBLE_EQ(t.at({3, 1, 1}), x.at({1, 1, 3}));
  const Tensor s = x.slice(2, 1, 4, 2);
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_DOUBLE_EQ(s.at({1, 2, 1}), x.at({1, 2, 3}));
  EXPECT_TRUE(s.shares_storage(x));
  const Tensor e = x.select(0, 1).unsqueeze(0).expand({5, 3, 4});
  EXPECT_EQ(e.strides()[0], 0);
  EXPECT_DOUBLE_EQ(e.at({4, 2, 3}), 23.0);
}

TEST(Tensor, ReshapeIsAViewWhenPossibleAndACopyOtherwise) {
  const Tensor x = iota({2, 3, 4});
  EXPECT_TRUE(x.reshape({6, -1}).shares_storage(x));
  const Tensor t = x.transpose(1, 2);  // [2, 4, 3], not contiguous
  EXPECT_TRUE(t.reshape({2, 4, 3, 1}).shares_storage(x));
  const Tensor flat = t.reshape({-1});
  EXPECT_FALSE(flat.shares_storage(x));
  EXPECT_DOUBLE_EQ(flat.at({1}), 4.0);  // t[0][0][1] = x[0][1][0]
  EXPECT_THROW(t.view({24}), ShapeError);
  try {
    x.reshape({5, -1});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "reshape: cannot reshape [2, 3, 4] to [5, -1]");
  }
}

TEST(Tensor, ContiguousCopyAndDtypeConversion) {
  const Tensor x = iota({3, 2}).transpose(0, 1).contiguous();
  EXPECT_TRUE(x.is_contiguous());
  EXPECT_EQ(x.to_vector(), (std::vector<double>{0, 2, 4, 1, 3, 5}));
  EXPECT_EQ(x.to(DType::f64).dtype(), DType::f64);
  EXPECT_EQ(Tensor::from({1.7, -2.2}, {2}).to(DType::i64).to_i64_vector(), (std::vector<int64_t>{1, -2}));
}

TEST(Tensor, CopyIntoAStridedView) {
  Tensor x = Tensor::zeros({3, 4});
  Tensor col = x.slice(1, 1, 2);
  col.copy_(Tensor::from({1, 2, 3}, {3, 1}));
  EXPECT_EQ(x.to_vector(), (std::vector<double>{0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0}));
}

TEST(Tensor, BroadcastingBinaryOps) {
  const Tensor a = iota({2, 1, 3}), b = iota({4, 1});
  const Tensor c = binary(BinaryOp::add, a, b);
  EXPECT_EQ(c.shape(), (Shape{2, 4, 3}));
  EXPECT_DOUBLE_EQ(c.at({1, 3, 2}), 5.0 + 3.0);
  const Tensor m = binary(BinaryOp::gt, a, Tensor::scalar(2.0));
  EXPECT_EQ(m.to_vector(), (std::vector<double>{0, 0, 0, 1, 1, 1}));
}

TEST(Tensor, SumsAreExactAndThreadIndependent) {
  const Tensor x = Tensor::uniform({1000, 300}, -1, 1, 3);
  const Tensor s0 = sum(x, {0});
  double ref = 0;
  const std::vector<float> v = x.to_f32_vector();
  for (int i = 0; i < 1000; ++i) ref += v[static_cast<size_t>(i) * 300 + 7];
  EXPECT_NEAR(s0.at({7}), ref, 1e-4);
  const double total = sum(x, {}).item();
  const int threads = num_threads();
  set_num_threads(1);
  EXPECT_EQ(sum(x, {}).item(), total);
  set_num_threads(threads);
}

TEST(Tensor, MaxReturnsFirstMaximumIndex) {
  const Tensor x = Tensor::from({1, 5, 5, 2, 9, 0}, {2, 3});
  Tensor idx;
  const Tensor m = max(x, 1, false, &idx);
  EXPECT_EQ(m.to_vector(), (std::vector<double>{5, 9}));
  EXPECT_EQ(idx.to_i64_vector(), (std::vector<int64_t>{1, 1}));
}

TEST(Tensor, MatmulMatchesNaiveLoopsForEveryLayout) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const int m = 5, k = 7, n = 3, batch = 2;
      Tensor a = Tensor::uniform(ta ? Shape{batch, k, m} : Shape{batch, m, k}, -1, 1, 1, 0, DType::f64);
      Tensor b = Tensor::uniform(tb ? Shape{n, k} : Shape{k, n}, -1, 1, 2, 0, DType::f64);
      const Tensor av = ta ? a.transpose(1, 2) : a, bv = tb ? b.transpose(0, 1) : b;
      const Tensor c = matmul(av, bv);
      ASSERT_EQ(c.shape(), (Shape{batch, m, n}));
      for (int p = 0; p < batch; ++p)
        for (int i = 0; i < m; ++i)
          for (int j = 0; j < n; ++j) {
            double ref = 0;
            for (int q = 0; q < k; ++q) ref += av.at({p, i, q}) * bv.at({q, j});
            ASSERT_NEAR(c.at({p, i, j}), ref, 1e-12) << ta << tb;
          }
    }
}

TEST(Tensor, UnfoldMatchesDirectConvolution) {
  // conv via unfold + matmul against the textbook 7-loop convolution.
  const int N = 2, C = 3, H = 6, W = 5, F = 4, k = 3, stride = 2, pad = 1;
  const Tensor x = Tensor::uniform({N, C, H, W}, -1, 1, 11, 0, DType::f64);
  const Tensor w = Tensor::uniform({F, C, k, k}, -1, 1, 12, 0, DType::f64);
  const int Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
  const Tensor cols = unfold(x, k, k, stride, pad);  // [C*k*k, N*Ho*Wo]
  const Tensor out = matmul(w.reshape({F, C * k * k}), cols).reshape({F, N, Ho, Wo});
  for (int n = 0; n < N; ++n)
    for (int f = 0; f < F; ++f)
      for (int oh = 0; oh < Ho; ++oh)
        for (int ow = 0; ow < Wo; ++ow) {
          double ref = 0;
          for (int c = 0; c < C; ++c)
            for (int i = 0; i < k; ++i)
              for (int j = 0; j < k; ++j) {
                const int ih = oh * stride - pad + i, iw = ow * stride - pad + j;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) ref += x.at({n, c, ih, iw}) * w.at({f, c, i, j});
              }
          ASSERT_NEAR(out.at({f, n, oh, ow}), ref, 1e-12);
        }
}

TEST(Tensor, FoldIsTheAdjointOfUnfold) {
  // <unfold(x), y> == <x, fold(y)> for random x, y.
  const Tensor x = Tensor::uniform({2, 2, 5, 4}, -1, 1, 1, 0, DType::f64);
  const Tensor cols = unfold(x, 3, 2, 1, 1);
  const Tensor y = Tensor::uniform(cols.shape(), -1, 1, 2, 0, DType::f64);
  const double lhs = sum(binary(BinaryOp::mul, cols, y), {}).item();
  const double rhs = sum(binary(BinaryOp::mul, x, fold(y, x.shape(), 3, 2, 1, 1)), {}).item();
  EXPECT_NEAR(lhs, rhs, 1e-12);
}

TEST(Tensor, GatherAndScatterAddAreAdjoint) {
  const Tensor x = Tensor::uniform({3, 5}, -1, 1, 1, 0, DType::f64);
  const Tensor idx = Tensor::from_i64({0, 4, 4, 1, 2, 2, 3, 0, 1}, {3, 3});
  const Tensor g = gather(x, 1, idx);
  EXPECT_DOUBLE_EQ(g.at({0, 1}), x.at({0, 4}));
  const Tensor y = Tensor::uniform({3, 3}, -1, 1, 2, 0, DType::f64);
  const double lhs = sum(binary(BinaryOp::mul, g, y), {}).item();
  const double rhs = sum(binary(BinaryOp::mul, x, scatter_add(x.shape(), 1, idx, y)), {}).item();
  EXPECT_NEAR(lhs, rhs, 1e-12);
  try {
    gather(x, 1, Tensor::from_i64({5, 0, 0, 0, 0, 0, 0, 0, 0}, {3, 3}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "gather: index 5 out of range [0, 5)");
  }
}

TEST(Tensor, MaxPoolPicksWindowMaxima) {
  const Tensor x = Tensor::from({1, 2, 3, 4,  //
                                 8, 7, 6, 5,  //
                                 0, 0, 9, 1,  //
                                 0, 3, 1, 1},
                                {1, 1, 4, 4});
  const MaxPoolResult r = max_pool2d(x, 2, 2, 0);
  EXPECT_EQ(r.indices.to_i64_vector(), (std::vector<int64_t>{4, 6, 13, 10}));
  EXPECT_EQ(r.values.to_vector(), (std::vector<double>{8, 6, 3, 9}));
}

// Padding: only in-image elements count; ties give the first maximum, a NaN the first NaN.
TEST(Tensor, MaxPoolWithPaddingTiesAndNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = Tensor::from({5, 1, 5, 2,  //
                                 0, 5, nan, 3,  //
                                 4, 4, nan, 0,  //
                                 -1, -2, -3, -4},
                                {1, 1, 4, 4});
  // 3x3 windows, stride 2, padding 1: rows/cols {-1..1} and {1..3}.
  const MaxPoolResult r = max_pool2d(x, 3, 2, 1);
  EXPECT_EQ(r.indices.to_i64_vector(), (std::vector<int64_t>{0, 6, 5, 6}));
  const std::vector<double> v = r.values.to_vector();
  EXPECT_EQ(v[0], 5);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(v[2], 5);
  EXPECT_TRUE(std::isnan(v[3]));
}

// The 2x2 stride-2 path (Conv4's): ties give the first maximum, a NaN the first NaN.
TEST(Tensor, MaxPoolTwoByTwoTiesAndNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = Tensor::from({3, 3, nan, 1,    //
                                 3, 2, nan, nan,  //
                                 1, 2, 7, 7,      //
                                 nan, 0, 7, 9},
                                {1, 1, 4, 4});
  const MaxPoolResult r = max_pool2d(x, 2, 2, 0);
  EXPECT_EQ(r.indices.to_i64_vector(), (std::vector<int64_t>{0, 2, 12, 15}));
  const std::vector<double> v = r.values.to_vector();
  EXPECT_EQ(v[0], 3);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_TRUE(std::isnan(v[2]));
  EXPECT_EQ(v[3], 9);
}

// Wide f32 rows take the vectorized 2x2 path: every window must match a plain first-maximum scan,
// ties (values rounded to a coarse grid) included, and a row with a NaN or +inf and -inf must
// still give the first NaN / the true maximum.
TEST(Tensor, MaxPoolTwoByTwoWideRowsMatchAScan) {
  const int64_t planes = 3, H = 6, W = 19, Ho = 3, Wo = 9;
  std::vector<double> v = Tensor::uniform({planes * H * W}, -2, 2, 17).to_vector();
  for (double& e : v) e = std::round(e * 2) / 2;  // many ties
  v[W + 5] = std::numeric_limits<double>::quiet_NaN();  // plane 0, window (0, 2): its second row
  v[H * W + 2 * W + 8] = std::numeric_limits<double>::infinity();  // plane 1, window (1, 4)
  v[H * W + 3 * W + 9] = -std::numeric_limits<double>::infinity();
  const MaxPoolResult r = max_pool2d(Tensor::from(v, {planes, H, W}), 2, 2, 0);
  const std::vector<int64_t> index = r.indices.to_i64_vector();
  const std::vector<double> value = r.values.to_vector();
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oh = 0; oh < Ho; ++oh)
      for (int64_t ow = 0; ow < Wo; ++ow) {
        int64_t best = -1;
        for (const int64_t at : {2 * oh * W + 2 * ow, 2 * oh * W + 2 * ow + 1, (2 * oh + 1) * W + 2 * ow,
                                 (2 * oh + 1) * W + 2 * ow + 1}) {
          const double e = v[p * H * W + at];
          if (best < 0 || (std::isnan(e) && !std::isnan(v[p * H * W + best])) || e > v[p * H * W + best]) {
            if (best >= 0 && std::isnan(v[p * H * W + best])) break;
            best = at;
          }
        }
        const int64_t o = (p * Ho + oh) * Wo + ow;
        ASSERT_EQ(index[o], best) << "plane " << p << " window " << oh << ", " << ow;
        const double want = v[p * H * W + best];
        if (std::isnan(want)) EXPECT_TRUE(std::isnan(value[o]));
        else EXPECT_EQ(value[o], want);
      }
  EXPECT_EQ(index[2], W + 5);  // the NaN
  EXPECT_EQ(index[Ho * Wo + Wo + 4], 2 * W + 8);  // +inf
}

// The fused batch norm + 2x2 max-pool against its definition, max_pool2d(batch_norm(x).y) and
// batch_norm_backward of the pooled gradient scattered to the window maxima: odd planes (the last
// row and column dropped), a negative gamma (the pool then picks the smallest x), with and without
// the task axis, f32 and f64; a NaN makes its channel's windows give their first element.
TEST(Tensor, BatchNormMaxPoolIsMaxPoolOfBatchNorm) {
  for (const bool task_axis : {false, true})
    for (const DType dtype : {DType::f32, DType::f64}) {
      SCOPED_TRACE(std::string(task_axis ? "task axis " : "") + dtype_name(dtype));
      const Shape shape = task_axis ? Shape{2, 3, 4, 7, 9} : Shape{3, 4, 7, 9};
      const Shape param = task_axis ? Shape{2, 4} : Shape{4};
      std::vector<double> xs = Tensor::uniform(shape, -2, 2, 21, 0, DType::f64).to_vector();
      xs[1] = std::numeric_limits<double>::quiet_NaN();  // channel 0 (of task 0)
      const Tensor x = Tensor::from(xs, shape, dtype);
      const Tensor gamma = Tensor::uniform(param, -2, 2, 22, 0, dtype);
      const Tensor beta = Tensor::uniform(param, -1, 1, 23, 0, dtype);
      const double tol = dtype == DType::f32 ? 1e-5 : 1e-12;

      const BatchNormResult bn = batch_norm(x, gamma, beta, 1e-5, task_axis);
      const MaxPoolResult pool = max_pool2d(bn.y, 2, 2, 0);
      const BatchNormPoolResult fused = batch_norm_max_pool2d(x, gamma, beta, 1e-5, task_axis);
      ASSERT_EQ(fused.y.shape(), pool.values.shape());
      EXPECT_EQ(fused.indices.to_i64_vector(), pool.indices.to_i64_vector());
      for (const auto& [got, want] : {std::pair{fused.mean, bn.mean}, std::pair{fused.var, bn.var}}) {
        const std::vector<double> g = got.to_vector(), w = want.to_vector();
        EXPECT_TRUE(std::isnan(g[0]));  // the NaN's channel
        EXPECT_EQ(std::vector<double>(g.begin() + 1, g.end()), std::vector<double>(w.begin() + 1, w.end()));
      }
      const std::vector<double> got = fused.y.to_vector(), want = pool.values.to_vector();
      int64_t nans = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        if (std::isnan(want[i])) {
          EXPECT_TRUE(std::isnan(got[i])) << i;
          ++nans;
        } else {
          EXPECT_NEAR(got[i], want[i], tol) << i;
        }
      }
      EXPECT_EQ(nans, 3 * 3 * 4);  // channel 0's windows in each of its 3 images
      EXPECT_EQ(fused.indices.to_i64_vector()[0], 0);  // a NaN window: its first element

      // Backward, on the channels without the NaN.
      const Tensor grad = Tensor::uniform(pool.values.shape(), -1, 1, 24, 0, dtype);
      const Shape planes(shape.begin(), shape.end() - 2);
      Shape flat = planes, flat_pooled = planes;
      flat.push_back(7 * 9);
      flat_pooled.push_back(3 * 4);
      const Tensor dy = scatter_add(flat, -1, pool.indices.reshape(flat_pooled), grad.reshape(flat_pooled))
                            .reshape(shape);
      const BatchNormGrads ref = batch_norm_backward(dy, x, gamma, bn.mean, bn.var, 1e-5, task_axis);
      const BatchNormGrads d =
          batch_norm_max_pool2d_backward(grad, fused.indices, x, gamma, fused.mean, fused.var, 1e-5, task_axis);
      const int64_t channels = task_axis ? 8 : 4;  // (task, channel) pairs
      const std::vector<double> rx = ref.x.to_vector(), dx = d.x.to_vector();
      const int64_t per_channel = 7 * 9;
      for (size_t i = 0; i < dx.size(); ++i) {
        const int64_t plane = static_cast<int64_t>(i) / per_channel;
        const int64_t pair = task_axis ? (plane / 12) * 4 + plane % 4 : plane % 4;
        if (pair != 0) EXPECT_NEAR(dx[i], rx[i], tol * 10) << i;
      }
      const std::vector<double> rg = ref.gamma.to_vector(), dg = d.gamma.to_vector();
      const std::vector<double> rb = ref.beta.to_vector(), db = d.beta.to_vector();
      for (int64_t c = 1; c < channels; ++c) {
        EXPECT_NEAR(dg[static_cast<size_t>(c)], rg[static_cast<size_t>(c)], tol * 10) << c;
        EXPECT_NEAR(db[static_cast<size_t>(c)], rb[static_cast<size_t>(c)], tol * 10) << c;
      }
    }
  try {
    batch_norm_max_pool2d(Tensor::zeros({2, 3, 4}), Tensor(), Tensor(), 1e-5, false);
    FAIL() << "a 3-d input has no planes to pool";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "batch_norm_max_pool2d: x [2, 3, 4] must be [N, C, H, W] with H, W >= 2");
  }
}

TEST(Tensor, RandomIsAPureFunctionOfSeedAndCounter) {
  const Tensor a = Tensor::uniform({100}, 0, 1, 42, 0);
  const Tensor b = Tensor::uniform({50}, 0, 1, 42, 50);
  EXPECT_EQ(a.slice(0, 50, 100).to_vector(), b.to_vector());
  const Tensor n = Tensor::normal({20000}, 1.0, 2.0, 9, 0, DType::f64);
  const double mean = sum(n, {}).item() / 20000;
  EXPECT_NEAR(mean, 1.0, 0.05);
  const Tensor mask = dropout_mask({10000}, 0.25, 3, 0, DType::f64, Device::cpu());
  const double kept = sum(mask, {}).item() * 0.75 / 10000;
  EXPECT_NEAR(kept, 0.75, 0.02);
}

TEST(Tensor, PhiloxMatchesTheKnownAnswer) {
  // Random123 known-answer test for philox4x32-10 with counter and key all 0xFFFFFFFF... uses
  // zero key and zero counter: 6627e8d5 e169c58d bc57ac4c 9b00dbd8.
  const Philox p(0);
  const Philox::Block b = p.block(0, 0);
  EXPECT_EQ(b[0], 0x6627e8d5u);
  EXPECT_EQ(b[1], 0xe169c58du);
  EXPECT_EQ(b[2], 0xbc57ac4cu);
  EXPECT_EQ(b[3], 0x9b00dbd8u);
}

TEST(Tensor, ErrorsNameTheOp) {
  try {
    binary(BinaryOp::add, Tensor::zeros({2, 3}), Tensor::zeros({4}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "add: shapes [2, 3] and [4] cannot be broadcast together");
  }
  try {
    Tensor::zeros({2}).data<double>();
    FAIL();
  } catch (const DTypeError& e) {
    EXPECT_STREQ(e.what(), "Tensor::data: tensor is f32, asked for f64");
  }
  EXPECT_THROW(Tensor::zeros({2}, DType::f32, Device::cuda(0)), DeviceError);
}

}  // namespace
}  // namespace cz
