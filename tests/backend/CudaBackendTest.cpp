// Every kernel of the backend interface on cuda:0 against the CPU's, through the tensor ops on
// tensors of each device: f64 to 1e-12 and f32 to 1e-5 relative (indices and masks exactly), on
// broadcast, strided and empty operands and on sizes beyond one grid (65535 blocks of 256
// threads), so that the grid-stride loops wrap. The kernels whose sums the issue asks to be
// deterministic (reductions, batch norm, scatter_add and the other sums of overlapping
// contributions) run twice and give the same bits. random() gives the CPU's numbers. Skips
// without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "cezanne/backend/Backend.hpp"
#include "cezanne/backend/CudaRuntime.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {
namespace {

const Device kGpu = Device::cuda(0);
const std::vector<DType> kFloating = {DType::f32, DType::f64};

/// Elements past one grid of 65535 blocks x 256 threads: a grid-stride loop goes round twice.
constexpr int64_t kBeyondOneGrid = 65535LL * 256 + 77;

using Op = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

/// Uniform host values in [low, high).
Tensor random(const Shape& shape, uint64_t seed, DType dtype = DType::f64, double low = -1.0, double high = 1.0) {
  return Tensor::uniform(shape, low, high, seed, 0, dtype);
}

/// Host values with ties: multiples of 1/4 in [-2, 2].
Tensor with_ties(const Shape& shape, uint64_t seed, DType dtype) {
  const std::vector<double> v = random(shape, seed, DType::f64, -2.0, 2.0).to_vector();
  std::vector<double> q(v.size());
  for (size_t i = 0; i < v.size(); ++i) q[i] = std::round(v[i] * 4) / 4;
  return Tensor::from(q, shape, dtype);
}

Tensor on_host(const Tensor& t) { return t.to(Device::cpu()); }

/// op on the host inputs, and on copies of them on cuda:0 (results brought back).
std::pair<std::vector<Tensor>, std::vector<Tensor>> run_both(const std::vector<Tensor>& inputs, const Op& op) {
  std::vector<Tensor> cpu = op(inputs), device_inputs, gpu;
  for (const Tensor& x : inputs) device_inputs.push_back(x.to(kGpu));
  for (const Tensor& t : op(device_inputs)) {
    EXPECT_EQ(t.device().str(), kGpu.str());
    gpu.push_back(on_host(t));
  }
  return {cpu, gpu};
}

double tolerance(DType dtype) { return dtype == DType::f32 ? 1e-5 : 1e-12; }

/// What a result's error is measured against: 1 for element-wise results, the result's largest
/// magnitude for sums of many terms (whose round-off grows with the terms, not with one sum,
/// which may cancel to near zero).
enum class Floor { one, largest };

/// cuda:0's results equal the CPU's: same shapes and dtypes; i64 exactly; floating values to
/// tolerance(dtype) * (|cpu| + floor), NaN where the CPU has NaN, the same infinities.
void expect_same(const std::string& what, const std::vector<Tensor>& inputs, const Op& op, Floor floor = Floor::one) {
  const auto [cpu, gpu] = run_both(inputs, op);
  ASSERT_EQ(gpu.size(), cpu.size()) << what;
  for (size_t i = 0; i < cpu.size(); ++i) {
    ASSERT_EQ(gpu[i].shape(), cpu[i].shape()) << what << ", result " << i;
    ASSERT_EQ(gpu[i].dtype(), cpu[i].dtype()) << what << ", result " << i;
    const std::vector<double> c = cpu[i].to_vector(), g = gpu[i].to_vector();
    const double tol = cpu[i].dtype() == DType::i64 ? 0.0 : tolerance(cpu[i].dtype());
    double scale = 1.0;
    if (floor == Floor::largest) {
      scale = 0.0;
      for (double v : c)
        if (std::isfinite(v)) scale = std::max(scale, std::abs(v));
    }
    int64_t reported = 0;
    for (size_t k = 0; k < c.size() && reported < 5; ++k) {
      const bool same = g[k] == c[k] || (std::isnan(g[k]) && std::isnan(c[k])) ||
                        (std::isfinite(c[k]) && std::abs(g[k] - c[k]) <= tol * (std::abs(c[k]) + scale));
      if (!same) {
        ++reported;
        ADD_FAILURE() << what << ", result " << i << " element " << k << " of " << c.size() << ": cuda " << g[k]
                      << ", cpu " << c[k];
      }
    }
  }
}

std::string bytes_of(const Tensor& t) {
  const Tensor h = on_host(t).contiguous();
  return std::string(static_cast<const char*>(h.raw_data()), static_cast<size_t>(h.numel()) * dtype_size(h.dtype()));
}

/// op on cuda:0 twice gives the same bits.
void expect_deterministic(const std::string& what, const std::vector<Tensor>& inputs, const Op& op) {
  std::vector<Tensor> device_inputs;
  for (const Tensor& x : inputs) device_inputs.push_back(x.to(kGpu));
  const std::vector<Tensor> first = op(device_inputs), second = op(device_inputs);
  ASSERT_EQ(first.size(), second.size()) << what;
  for (size_t i = 0; i < first.size(); ++i)
    EXPECT_TRUE(bytes_of(first[i]) == bytes_of(second[i])) << what << ": result " << i << " differs between two runs";
}

std::string name(DType dtype) { return dtype_name(dtype); }

class CudaBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

// ---- memory and element-wise

TEST_F(CudaBackend, CopiesBetweenDevicesAndDtypes) {
  expect_same("host round trip", {random({3, 5}, 1)}, [](const std::vector<Tensor>& x) { return std::vector{x[0]}; });
  expect_same("empty round trip", {Tensor::empty({0, 4}, DType::f64)},
              [](const std::vector<Tensor>& x) { return std::vector{x[0]}; });
  const std::vector<DType> all = {DType::f32, DType::f64, DType::i64};
  // Values beyond +-1 with fractions: the float -> i64 conversion truncates toward zero.
  const Tensor values = random({4, 6}, 2, DType::f64, -50.0, 50.0);
  for (DType from : all)
    for (DType to : all)
      expect_same("copy " + name(from) + " -> " + name(to), {values.to(from)},
                  [to](const std::vector<Tensor>& x) {
                    return std::vector{x[0].to(to), x[0].transpose(0, 1).to(to), x[0].transpose(0, 1).contiguous()};
                  });
  expect_same("copy of a broadcast row into a strided view", {random({7}, 3), random({5, 7}, 4)},
              [](const std::vector<Tensor>& x) {
                Tensor out = x[1].clone();
                Tensor every_other = out.slice(0, 0, 5, 2);  // rows 0, 2, 4: a strided destination
                every_other.copy_(x[0]);
                Tensor column = out.select(1, 3);
                column.copy_(Tensor::scalar(-9.0, DType::f64, out.device()));
                return std::vector{out};
              });
  expect_same("cat into views", {random({2, 3, 4}, 5), random({2, 1, 4}, 6)},
              [](const std::vector<Tensor>& x) { return std::vector{cat({x[0], x[1], x[0].slice(1, 1, 3)}, 1)}; });
  // A copy on the device, then the stream's work waited for.
  const Tensor a = random({1000}, 7).to(kGpu), b = a.clone();
  backend_for(kGpu).synchronize(current_stream(kGpu));
  EXPECT_EQ(on_host(b).to_vector(), on_host(a).to_vector());
}

TEST_F(CudaBackend, FillsEveryDtypeAndStridedViews) {
  for (DType dtype : {DType::f32, DType::f64, DType::i64})
    expect_same("fill " + name(dtype), {Tensor::zeros({3, 4}, dtype)}, [](const std::vector<Tensor>& x) {
      Tensor a = x[0].clone(), b = x[0].clone();
      a.fill_(2.75);
      b.transpose(0, 1).slice(0, 1, 4, 2).fill_(-3.0);
      Tensor empty = Tensor::empty({0, 2}, x[0].dtype(), x[0].device());
      empty.fill_(1.0);
      return std::vector{a, b, empty};
    });
}

TEST_F(CudaBackend, EveryUnaryOp) {
  const std::vector<UnaryOp> ops = {UnaryOp::neg,     UnaryOp::exp,  UnaryOp::log,        UnaryOp::sqrt,
                                    UnaryOp::rsqrt,   UnaryOp::abs,  UnaryOp::sign,       UnaryOp::sigmoid,
                                    UnaryOp::tanh,    UnaryOp::relu, UnaryOp::reciprocal, UnaryOp::square,
                                    UnaryOp::erf};
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : kFloating)
    for (UnaryOp op : ops) {
      const bool positive = op == UnaryOp::log || op == UnaryOp::sqrt || op == UnaryOp::rsqrt;
      const Tensor x = positive ? random({6, 40}, 7, dtype, 0.01, 5.0) : random({6, 40}, 7, dtype, -6.0, 6.0);
      // The edges: signed zeros, large magnitudes (sigmoid's two sides), infinities, NaN.
      const Tensor edges = Tensor::from({0.0, -0.0, 30.0, -30.0, 100.0, -100.0, inf, -inf, nan}, {9}, dtype);
      expect_same(std::string(op_name(op)) + " " + name(dtype), {x, edges}, [op](const std::vector<Tensor>& in) {
        return std::vector{unary(op, in[0]), unary(op, in[0].transpose(0, 1)), unary(op, in[1]),
                           unary(op, in[0].slice(1, 0, 0))};
      });
    }
}

TEST_F(CudaBackend, EveryBinaryOpWithBroadcasting) {
  const std::vector<BinaryOp> ops = {BinaryOp::add,     BinaryOp::sub,     BinaryOp::mul, BinaryOp::div,
                                     BinaryOp::pow,     BinaryOp::maximum, BinaryOp::minimum, BinaryOp::gt,
                                     BinaryOp::ge,      BinaryOp::lt,      BinaryOp::le,  BinaryOp::eq};
  for (DType dtype : kFloating)
    for (BinaryOp op : ops) {
      // Ties, so that the comparisons and maximum/minimum see equal operands; pow gets positive bases.
      const bool pow = op == BinaryOp::pow;
      const Tensor a = pow ? random({4, 1, 6}, 8, dtype, 0.1, 3.0) : with_ties({4, 1, 6}, 8, dtype);
      const Tensor b = with_ties({1, 5, 6}, 9, dtype);
      const Tensor c = pow ? random({6, 4}, 10, dtype, 0.1, 3.0) : with_ties({6, 4}, 10, dtype);
      expect_same(std::string(op_name(op)) + " " + name(dtype), {a, b, c}, [op](const std::vector<Tensor>& in) {
        const Tensor scalar = Tensor::scalar(0.75, in[0].dtype(), in[0].device());
        return std::vector{binary(op, in[0], in[1]),                   // [4, 5, 6] from two broadcasts
                           binary(op, in[2].transpose(0, 1), in[1].select(1, 2)),  // strided [4, 6]
                           binary(op, in[0], scalar), binary(op, scalar, in[1]),
                           binary(op, in[2].slice(0, 0, 0), in[2].slice(0, 0, 0))};
      });
    }
}

TEST_F(CudaBackend, WhereAndTheScalarForms) {
  for (DType dtype : kFloating) {
    const Tensor x = with_ties({5, 8}, 11, dtype);
    expect_same("scalar forms " + name(dtype), {x, random({5, 8}, 12, dtype, 0.1, 2.0)},
                [](const std::vector<Tensor>& in) {
                  const Tensor t = in[0].transpose(0, 1);
                  return std::vector{affine(in[0], -1.5, 0.25), affine(t, 3.0, -1.0),
                                     pow_scalar(in[1], 2.0),    pow_scalar(in[1], 1.0),
                                     pow_scalar(in[1], 3.0),    pow_scalar(in[1], 0.5),
                                     pow_scalar(in[1], -1.7),   clamp(in[0], -0.5, 0.75),
                                     clamp(t, 0.0, 0.0),        in_range_mask(in[0], -0.5, 0.75),
                                     in_range_mask(t, -2.0, -0.25)};
                });
    expect_same("where " + name(dtype), {with_ties({5, 1}, 13, dtype), random({5, 8}, 14, dtype), random({8}, 15, dtype)},
                [](const std::vector<Tensor>& in) {
                  return std::vector{where(in[0], in[1], in[2]), where(in[0].transpose(0, 1), in[2].unsqueeze(1), in[1].transpose(0, 1)),
                                     where(binary(BinaryOp::gt, in[1], in[2]), in[1], in[2])};
                });
  }
}

TEST_F(CudaBackend, ElementWiseBeyondOneGrid) {
  // Contiguous, one strided run (a broadcast scalar), and any layout (two broadcasts).
  expect_same("contiguous", {random({kBeyondOneGrid}, 16, DType::f32, -3.0, 3.0)},
              [](const std::vector<Tensor>& x) { return std::vector{unary(UnaryOp::sigmoid, x[0]), affine(x[0], 2.0, 1.0)}; });
  expect_same("broadcast", {random({4099, 1}, 17, DType::f32), random({1, 4097}, 18, DType::f32)},
              [](const std::vector<Tensor>& x) {
                const Tensor s = Tensor::scalar(2.0, DType::f32, x[0].device());
                const Tensor big = binary(BinaryOp::mul, x[0], x[1]);  // 16.8M elements
                return std::vector{big, binary(BinaryOp::add, big, s), where(big, x[0].expand(big.shape()), s)};
              });
}

// ---- reductions

TEST_F(CudaBackend, SumsAndMaxima) {
  for (DType dtype : kFloating) {
    expect_same("sum and max " + name(dtype), {random({5, 7, 9}, 19, dtype), with_ties({6, 10}, 20, dtype)},
                [](const std::vector<Tensor>& x) {
                  Tensor i0, i1, i2;
                  const Tensor m0 = max(x[0], 1, true, &i0);
                  const Tensor m1 = max(x[0].permute({2, 0, 1}), 0, false, &i1);
                  const Tensor m2 = max(x[1], 1, false, &i2);  // ties: the first maximum
                  return std::vector{sum(x[0], {}),          sum(x[0], {0, 2}, true), sum(x[0], {1}),
                                     sum(x[0].transpose(0, 2), {0}), sum(x[0].slice(1, 0, 0), {1}),
                                     m0, i0, m1, i1, m2, i2};
                });
    const double nan = std::numeric_limits<double>::quiet_NaN();
    expect_same("max with NaN " + name(dtype), {Tensor::from({1, nan, 3, 2, 5, 4, nan, nan}, {2, 4}, dtype)},
                [](const std::vector<Tensor>& x) {
                  Tensor i;
                  const Tensor m = max(x[0], 1, false, &i);
                  return std::vector{m, i};
                });
    // Positive terms (no cancellation): a relative comparison of a 16.8M-term sum.
    const Tensor big = random({kBeyondOneGrid}, 21, dtype, 0.0, 1.0);
    const Op sums = [](const std::vector<Tensor>& x) {
      return std::vector{sum(x[0], {}), sum(x[0].slice(0, 0, 3 * 4000000).view({4000000, 3}), {0}),
                         sum(x[0].slice(0, 0, 65536 * 64).view({65536, 64}), {1})};
    };
    expect_same("large sums " + name(dtype), {big}, sums, Floor::largest);
    expect_deterministic("large sums " + name(dtype), {big}, sums);
  }
}

TEST_F(CudaBackend, AllFinite) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : kFloating)
    for (const std::vector<double>& v : std::vector<std::vector<double>>{{1, 2, 3}, {1, inf, 3}, {nan, 2, 3}, {}})
      expect_same("all_finite " + name(dtype), {Tensor::from(v, {static_cast<int64_t>(v.size())}, dtype)},
                  [](const std::vector<Tensor>& x) {
                    return std::vector{Tensor::scalar(all_finite(x[0]) ? 1 : 0, DType::f64, x[0].device())};
                  });
}

// ---- GEMM

TEST_F(CudaBackend, MatmulInEveryLayout) {
  for (DType dtype : kFloating) {
    const Op products = [](const std::vector<Tensor>& x) {
      const Tensor& a = x[0];  // [3, 5, 11]
      const Tensor& b = x[1];  // [3, 11, 7]
      const Tensor& w = x[2];  // [11, 7]
      return std::vector{matmul(a, b),
                         matmul(a, w),                                                        // shared weight
                         matmul(a.transpose(1, 2).contiguous().transpose(1, 2), b),           // trans a
                         matmul(a, b.transpose(1, 2).contiguous().transpose(1, 2)),           // trans b
                         matmul(a.select(0, 1), w),                                           // 2-d
                         matmul(a.select(0, 0).select(0, 2), w),                              // vector @ matrix
                         matmul(a.slice(2, 0, 0), b.slice(1, 0, 0)),                          // k = 0: zeros
                         matmul(a.slice(1, 0, 0), b)};                                        // m = 0
    };
    expect_same("matmul " + name(dtype), {random({3, 5, 11}, 22, dtype), random({3, 11, 7}, 23, dtype), random({11, 7}, 24, dtype)},
                products);
    // Conv4-sized: [64, 576] @ [576, 980].
    const Op large = [](const std::vector<Tensor>& x) { return std::vector{matmul(x[0], x[1]), matmul(x[0].unsqueeze(0).expand({3, 64, 576}), x[1])}; };
    const std::vector<Tensor> in = {random({64, 576}, 25, dtype), random({576, 980}, 26, dtype)};
    expect_same("large matmul " + name(dtype), in, large, Floor::largest);
    expect_deterministic("large matmul " + name(dtype), in, large);
  }
}

// ---- convolution

TEST_F(CudaBackend, ConvolutionAndItsGradients) {
  for (DType dtype : kFloating) {
    // stride 1 "same", stride 2 with padding, the task axis, and Conv4's second layer.
    struct Case {
      std::string name;
      Shape x, w;
      int64_t stride, padding;
    };
    for (const Case& c : std::vector<Case>{{"same", {3, 2, 7, 6}, {4, 2, 3, 3}, 1, 1},
                                           {"stride 2", {2, 3, 9, 8}, {5, 3, 3, 3}, 2, 1},
                                           {"tasks", {2, 3, 2, 6, 6}, {2, 4, 2, 3, 3}, 1, 1},
                                           {"conv4", {10, 32, 14, 14}, {32, 32, 3, 3}, 1, 1}}) {
      Shape b = {c.w[c.w.size() - 4]};
      if (c.w.size() == 5) b = {c.w[0], c.w[1]};
      const std::vector<Tensor> in = {random(c.x, 27, dtype), random(c.w, 28, dtype), random(b, 29, dtype)};
      const Op conv = [c](const std::vector<Tensor>& x) {
        const Tensor y = conv2d(x[0], x[1], x[2], c.stride, c.padding);
        const Tensor g = affine(y, 0.5, -0.25);  // an output gradient of y's shape
        const int64_t kh = c.w[c.w.size() - 2], kw = c.w[c.w.size() - 1];
        return std::vector{y, conv2d(x[0], x[1], Tensor(), c.stride, c.padding),
                           conv2d_input_grad(g, x[1], x[0].shape(), c.stride, c.padding),
                           conv2d_weight_grad(x[0], g, kh, kw, c.stride, c.padding)};
      };
      expect_same(c.name + " " + name(dtype), in, conv, Floor::largest);
      expect_deterministic(c.name + " " + name(dtype), in, conv);
    }
    const Op columns = [](const std::vector<Tensor>& x) {
      const Tensor cols = unfold(x[0], 2, 3, 2, 1);
      return std::vector{cols, fold(cols, x[0].shape(), 2, 3, 2, 1), unfold(x[1], 3, 3, 1, 1),
                         fold(unfold(x[1], 3, 3, 1, 1), x[1].shape(), 3, 3, 1, 1)};
    };
    const std::vector<Tensor> in = {random({2, 3, 7, 8}, 30, dtype), random({2, 2, 2, 5, 5}, 31, dtype)};
    expect_same("unfold and fold " + name(dtype), in, columns);
    expect_deterministic("unfold and fold " + name(dtype), in, columns);
  }
}

// ---- normalization and pooling

TEST_F(CudaBackend, BatchNormAndItsFusedPool) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : kFloating)
    for (bool task_axis : {false, true}) {
      const Shape x = task_axis ? Shape{2, 4, 3, 6, 5} : Shape{4, 3, 7, 5};  // odd planes
      const Shape p = task_axis ? Shape{2, 3} : Shape{3};
      Shape pooled = x;
      pooled[pooled.size() - 2] /= 2;
      pooled[pooled.size() - 1] /= 2;
      // Output gradients of their own (one affine in y would give batch norm's x-gradient of zero).
      const std::vector<Tensor> in = {random(x, 32, dtype, -2.0, 3.0), random(p, 33, dtype, -1.5, 1.5),
                                      random(p, 34, dtype), random(x, 35, dtype), random(pooled, 36, dtype)};
      const Op norm = [task_axis](const std::vector<Tensor>& v) {
        const double eps = 1e-5;
        const BatchNormResult r = batch_norm(v[0], v[1], v[2], eps, task_axis);
        const BatchNormResult plain = batch_norm(v[0], Tensor(), Tensor(), eps, task_axis);
        const BatchNormGrads d = batch_norm_backward(v[3], v[0], v[1], r.mean, r.var, eps, task_axis);
        const BatchNormPoolResult q = batch_norm_max_pool2d(v[0], v[1], v[2], eps, task_axis);
        const BatchNormGrads dq =
            batch_norm_max_pool2d_backward(v[4], q.indices, v[0], v[1], q.mean, q.var, eps, task_axis);
        return std::vector{r.y, r.mean, r.var, plain.y, d.x, d.gamma, d.beta, q.y, q.indices, q.mean, q.var,
                           dq.x, dq.gamma, dq.beta};
      };
      const std::string what = std::string("batch norm") + (task_axis ? ", task axis " : " ") + name(dtype);
      expect_same(what, in, norm, Floor::largest);
      expect_deterministic(what, in, norm);
    }
  // A NaN in a window gives its first NaN, as max_pool2d of batch_norm.
  expect_same("batch norm pool with NaN",
              {Tensor::from({1, 2, nan, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, {1, 1, 4, 4}, DType::f64)},
              [](const std::vector<Tensor>& v) {
                const BatchNormPoolResult q = batch_norm_max_pool2d(v[0], Tensor(), Tensor(), 1e-5, false);
                return std::vector{q.y, q.indices};
              });
}

TEST_F(CudaBackend, MaxPoolWindowsTiesAndNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : kFloating) {
    expect_same("max_pool2d " + name(dtype), {with_ties({2, 3, 9, 8}, 35, dtype), with_ties({2, 2, 1, 5, 6}, 36, dtype)},
                [](const std::vector<Tensor>& x) {
                  const MaxPoolResult a = max_pool2d(x[0], 2, 2, 0), b = max_pool2d(x[0], 3, 2, 1),
                                      c = max_pool2d(x[1], 2, 2, 0);
                  return std::vector{a.values, a.indices, b.values, b.indices, c.values, c.indices};
                });
    expect_same("max_pool2d with NaN " + name(dtype),
                {Tensor::from({1, nan, 3, 4, 5, 6, nan, 8, 9, 10, 11, 12, 13, 14, 15, 16}, {1, 4, 4}, dtype)},
                [](const std::vector<Tensor>& x) {
                  const MaxPoolResult r = max_pool2d(x[0], 2, 2, 0);
                  return std::vector{r.values, r.indices};
                });
  }
}

// ---- indexing

TEST_F(CudaBackend, GatherScatterAndIndexSelectAdd) {
  // Many repeats of few indices: the sums of scatter_add and index_add meet in one element.
  std::vector<int64_t> rows, cols;
  for (int64_t i = 0; i < 600; ++i) rows.push_back((i * 7) % 3);
  for (int64_t i = 0; i < 5 * 40; ++i) cols.push_back((i * 13) % 6);
  const Tensor row_index = Tensor::from_i64(rows, {600});
  const Tensor col_index = Tensor::from_i64(cols, {5, 40});
  for (DType dtype : kFloating) {
    const std::vector<Tensor> in = {random({5, 6}, 37, dtype), col_index, random({5, 40}, 38, dtype),
                                    row_index, random({600, 4}, 39, dtype), random({3, 4}, 40, dtype)};
    const Op indexing = [](const std::vector<Tensor>& x) {
      return std::vector{gather(x[0], 1, x[1]),
                         scatter_add({5, 6}, 1, x[1], x[2]),
                         gather(x[0].transpose(0, 1).contiguous(), 0, x[1].slice(1, 0, 6).transpose(0, 1).contiguous()),
                         index_select(x[5], 0, x[3]),
                         index_select(x[4], 1, Tensor::from_i64({3, 0, 3}, {3}, x[4].device())),
                         index_add({3, 4}, 0, x[3], x[4]),
                         gather(x[0], 1, x[1].slice(1, 0, 0))};
    };
    expect_same("indexing " + name(dtype), in, indexing, Floor::largest);
    expect_deterministic("indexing " + name(dtype), in, indexing);
  }
}

// ---- random

TEST_F(CudaBackend, RandomGivesTheCpusNumbers) {
  for (DType dtype : kFloating) {
    // A counter near 2^32: the Philox counter carries into its high word.
    const uint64_t counter = (1ULL << 32) - 5;
    const Op draws = [dtype, counter](const std::vector<Tensor>& x) {
      const Device d = x[0].device();
      return std::vector{Tensor::uniform({1000}, -2.0, 3.0, 42, counter, dtype, d),
                         Tensor::normal({999}, 0.5, 2.0, 42, 7, dtype, d),
                         Tensor::uniform({kBeyondOneGrid}, 0.0, 1.0, 9, 0, dtype, d),
                         Tensor::normal({0}, 0.0, 1.0, 9, 0, dtype, d),
                         dropout_mask({37, 41}, 0.3, 5, 11, dtype, d)};
    };
    expect_same("random " + name(dtype), {Tensor::zeros({1})}, draws);
  }
}

// ---- optimizer updates

TEST_F(CudaBackend, AdamAndSgdUpdates) {
  for (DType dtype : kFloating) {
    const std::vector<Tensor> in = {random({1000}, 41, dtype), random({1000}, 42, dtype),
                                    random({1000}, 43, dtype, -0.1, 0.1), random({1000}, 44, dtype, 0.0, 0.1)};
    expect_same("optimizer updates " + name(dtype), in, [](const std::vector<Tensor>& x) {
      std::vector<Tensor> out;
      for (bool decoupled : {false, true}) {
        Tensor p = x[0].clone(), m = x[2].clone(), v = x[3].clone();
        adam_update_({.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01,
                      .decoupled = decoupled, .t = 3},
                     p, x[1], m, v);
        out.insert(out.end(), {p, m, v});
      }
      for (bool nesterov : {false, true}) {
        Tensor p = x[0].clone(), buffer = x[2].clone();
        sgd_update_({.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-4, .nesterov = nesterov}, p, x[1], buffer);
        out.insert(out.end(), {p, buffer});
      }
      return out;
    });
  }
}

}  // namespace
}  // namespace cz
