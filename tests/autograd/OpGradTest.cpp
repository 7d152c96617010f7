// Every differentiable op (and its batched / task-axis form): first derivatives against f64
// central differences, second derivatives through grad(create_graph) against central
// differences of the analytic first derivative, and forward, first and second derivatives equal
// on every backend (check:0 runs the CPU kernels: bit for bit; check:1 the backend interface's
// composites where a kernel has one: to round-off; cuda:0, where there is a GPU, in f64 and f32).
#include <gtest/gtest.h>

#include "GradCheck.hpp"
#include "cezanne/backend/CudaRuntime.hpp"

namespace cz {
namespace {

using testing::Fn;

struct OpCase {
  std::string name;
  Fn f;
  std::vector<Shape> shapes;
  double low = -1.0, high = 1.0;
};

std::ostream& operator<<(std::ostream& os, const OpCase& c) { return os << c.name; }

/// Constant labels on the device of the case's input `like`.
Tensor labels(const std::vector<int64_t>& v, const Shape& s, const Var& like) {
  return Tensor::from_i64(v, s, like.data().device());
}

std::vector<OpCase> cases() {
  using V = std::vector<Var>;
  return {
      // pointwise (broadcasting forms included)
      {"add_broadcast", [](const V& x) { return x[0] + x[1]; }, {{3, 4}, {4}}},
      {"sub_broadcast", [](const V& x) { return x[0] - x[1]; }, {{2, 3}, {2, 1}}},
      {"mul", [](const V& x) { return x[0] * x[1]; }, {{3, 4}, {3, 4}}},
      {"mul_batched", [](const V& x) { return x[0] * x[1]; }, {{2, 3, 4}, {2, 1, 4}}},
      {"div", [](const V& x) { return x[0] / (x[1] + 2.0); }, {{3, 4}, {1, 4}}},
      {"neg", [](const V& x) { return -x[0]; }, {{5}}},
      {"exp", [](const V& x) { return exp(x[0]); }, {{2, 3}}},
      {"log", [](const V& x) { return log(x[0]); }, {{2, 3}}, 0.5, 2.0},
      {"sqrt", [](const V& x) { return sqrt(x[0]); }, {{2, 3}}, 0.5, 2.0},
      {"pow_scalar", [](const V& x) { return pow(x[0], 3.0); }, {{2, 3}}},
      {"pow_fractional", [](const V& x) { return pow(x[0], 0.5); }, {{2, 3}}, 0.5, 2.0},
      {"pow_tensor", [](const V& x) { return pow(x[0], x[1]); }, {{2, 3}, {2, 3}}, 0.5, 2.0},
      {"abs", [](const V& x) { return abs(x[0]); }, {{7}}},
      {"relu", [](const V& x) { return relu(x[0]); }, {{7}}},
      {"sigmoid", [](const V& x) { return sigmoid(x[0]); }, {{2, 3}}, -3.0, 3.0},
      {"tanh", [](const V& x) { return tanh(x[0]); }, {{2, 3}}, -2.0, 2.0},
      {"erf", [](const V& x) { return erf(x[0]); }, {{2, 3}}, -2.0, 2.0},
      {"gelu", [](const V& x) { return gelu(x[0]); }, {{3, 4}}, -3.0, 3.0},
      {"clamp", [](const V& x) { return clamp(x[0], -0.5, 0.5); }, {{9}}},
      {"where",
       [](const V& x) { return where(Tensor::from({1, 0, 1, 0, 0, 1}, {2, 3}, DType::f64, x[0].data().device()), x[0] * x[0], x[1]); },
       {{2, 3}, {3}}},
      {"affine", [](const V& x) { return 3.0 - 2.0 * x[0] / 4.0; }, {{4}}},
      {"reciprocal", [](const V& x) { return 1.0 / x[0]; }, {{4}}, 0.5, 2.0},
      // reductions
      {"sum_all", [](const V& x) { return sum(x[0] * x[0]); }, {{3, 4}}},
      {"sum_dims", [](const V& x) { return sum(x[0] * x[0], {0, 2}, true); }, {{2, 3, 4}}},
      {"mean_dim", [](const V& x) { return mean(x[0] * x[0], {1}); }, {{2, 3, 4}}},
      {"max_dim", [](const V& x) { return max(x[0] * x[0], 1); }, {{3, 5}}},
      {"logsumexp", [](const V& x) { return logsumexp(x[0], -1); }, {{3, 5}}},
      {"sum_to", [](const V& x) { return sum_to(x[0] * x[0], {3, 1}); }, {{2, 3, 4}}},
      // linear algebra
      {"matmul", [](const V& x) { return matmul(x[0], x[1]); }, {{3, 4}, {4, 5}}},
      {"matmul_batched", [](const V& x) { return matmul(x[0], x[1]); }, {{2, 3, 4}, {2, 4, 5}}},
      {"matmul_broadcast", [](const V& x) { return matmul(x[0], x[1]); }, {{2, 3, 4}, {4, 5}}},
      {"matmul_transposed_view", [](const V& x) { return matmul(transpose(x[0], 0, 1), x[1]); }, {{4, 3}, {4, 5}}},
      {"matmul_vector", [](const V& x) { return matmul(x[0], x[1]); }, {{4}, {4, 5}}},
      {"matmul_squared", [](const V& x) { return matmul(x[0], x[0] * x[1]); }, {{3, 3}, {3, 3}}},
      // convolution, its two gradient ops, and their task-axis forms
      {"conv2d", [](const V& x) { return conv2d(x[0], x[1], x[2], 1, 1); }, {{2, 2, 5, 5}, {3, 2, 3, 3}, {3}}},
      {"conv2d_stride2", [](const V& x) { return conv2d(x[0], x[1], Var(), 2, 0); }, {{1, 2, 6, 6}, {2, 2, 3, 3}}},
      {"conv2d_tasks", [](const V& x) { return conv2d(x[0], x[1], x[2], 1, 1); },
       {{2, 2, 2, 4, 4}, {2, 3, 2, 3, 3}, {2, 3}}},
      {"conv2d_squared", [](const V& x) { return conv2d(x[0] * x[0], x[1] * x[1], Var(), 1, 1); },
       {{1, 1, 4, 4}, {2, 1, 3, 3}}},
      {"conv2d_input_grad",
       [](const V& x) { return conv2d_input_grad(x[0] * x[0], x[1], {2, 2, 5, 5}, 2, 1); },
       {{2, 3, 3, 3}, {3, 2, 3, 3}}},
      {"conv2d_input_grad_tasks", [](const V& x) { return conv2d_input_grad(x[0], x[1] * x[1], {2, 1, 2, 4, 4}, 1, 1); },
       {{2, 1, 3, 4, 4}, {2, 3, 2, 3, 3}}},
      {"conv2d_weight_grad", [](const V& x) { return conv2d_weight_grad(x[0] * x[0], x[1], 3, 2, 2, 1); },
       {{2, 2, 5, 5}, {2, 3, 3, 3}}},
      {"conv2d_weight_grad_tasks", [](const V& x) { return conv2d_weight_grad(x[0], x[1] * x[1], 3, 3, 1, 1); },
       {{2, 2, 2, 4, 4}, {2, 2, 3, 4, 4}}},
      {"unfold", [](const V& x) { return unfold(x[0], 2, 3, 1, 1); }, {{2, 2, 3, 4}}},
      {"fold", [](const V& x) { return fold(x[0], {1, 2, 3, 3}, 2, 2, 1, 0); }, {{8, 4}}},
      // pooling
      {"max_pool2d", [](const V& x) { return max_pool2d(x[0] * x[0], 2); }, {{2, 2, 4, 4}}},
      {"max_pool2d_tasks", [](const V& x) { return max_pool2d(x[0], 2); }, {{2, 2, 1, 4, 5}}},
      {"avg_pool2d", [](const V& x) { return avg_pool2d(x[0] * x[0], 2); }, {{2, 2, 4, 4}}},
      // normalization
      {"layer_norm", [](const V& x) { return layer_norm(x[0], x[1], x[2]); }, {{2, 3, 5}, {5}, {5}}},
      {"layer_norm_tasks", [](const V& x) { return layer_norm(x[0], reshape(x[1], {2, 1, 4}), reshape(x[2], {2, 1, 4})); },
       {{2, 3, 4}, {2, 4}, {2, 4}}},
      {"batch_norm", [](const V& x) { return batch_norm(x[0], x[1], x[2]); }, {{4, 3, 2, 2}, {3}, {3}}},
      {"batch_norm_tasks", [](const V& x) { return batch_norm(x[0], x[1], x[2], 1e-5, true); },
       {{2, 3, 2, 2, 2}, {2, 2}, {2, 2}}},
      {"batch_norm_max_pool2d", [](const V& x) { return batch_norm_max_pool2d(x[0], x[1], x[2]); },
       {{3, 2, 4, 5}, {2}, {2}}},
      {"batch_norm_max_pool2d_tasks", [](const V& x) { return batch_norm_max_pool2d(x[0], x[1], x[2], 1e-5, true); },
       {{2, 2, 2, 4, 4}, {2, 2}, {2, 2}}},
      // attention: several heads, keys longer than queries
      {"scaled_dot_product_attention", [](const V& x) { return scaled_dot_product_attention(x[0], x[1], x[2]); },
       {{2, 2, 3, 4}, {2, 2, 5, 4}, {2, 2, 5, 3}}},
      // softmax family and losses
      {"softmax", [](const V& x) { return softmax(x[0], 1); }, {{3, 4}}},
      {"log_softmax", [](const V& x) { return log_softmax(x[0], -1); }, {{3, 4}}},
      {"cross_entropy", [](const V& x) { return cross_entropy(x[0], labels({0, 3, 1}, {3}, x[0])); }, {{3, 4}}},
      {"cross_entropy_tasks", [](const V& x) { return cross_entropy(x[0], labels({0, 2, 1, 1, 0, 2}, {2, 3}, x[0])); },
       {{2, 3, 3}}},
      {"mse", [](const V& x) { return mse(x[0] * x[0], x[1]); }, {{2, 3}, {2, 3}}},
      // indexing
      {"gather", [](const V& x) { return gather(x[0] * x[0], 1, labels({0, 2, 2, 1, 0, 0}, {2, 3}, x[0])); }, {{2, 4}}},
      {"scatter_add", [](const V& x) { return scatter_add({2, 4}, 1, labels({0, 2, 2, 1, 0, 0}, {2, 3}, x[0]), x[0] * x[0]); },
       {{2, 3}}},
      {"index_select", [](const V& x) { return index_select(x[0] * x[0], 0, labels({2, 0, 2}, {3}, x[0])); }, {{3, 2}}},
      {"index_add", [](const V& x) { return index_add({3, 2}, 0, labels({2, 0, 2}, {3}, x[0]), x[0] * x[0]); }, {{3, 2}}},
      {"embedding", [](const V& x) { return embedding(x[0] * x[0], labels({1, 4, 1, 0}, {2, 2}, x[0])); }, {{5, 3}}},
      // views and joins
      {"reshape", [](const V& x) { return reshape(x[0] * x[0], {4, 3}); }, {{2, 6}}},
      {"permute", [](const V& x) { return permute(x[0] * x[0], {2, 0, 1}); }, {{2, 3, 4}}},
      {"transpose", [](const V& x) { return transpose(x[0] * x[0], 0, 1); }, {{2, 3}}},
      {"slice_step", [](const V& x) { return slice(x[0] * x[0], 1, 1, 6, 2); }, {{2, 7}}},
      {"select", [](const V& x) { return select(x[0] * x[0], 0, 1); }, {{3, 2}}},
      {"expand", [](const V& x) { return expand(x[0] * x[0], {3, 2, 4}); }, {{2, 1}}},
      {"unsqueeze_squeeze", [](const V& x) { return squeeze(unsqueeze(x[0] * x[0], 1), 1); }, {{2, 3}}},
      {"cat", [](const V& x) { return cat({x[0] * x[0], x[1]}, 1); }, {{2, 3}, {2, 2}}},
      {"stack", [](const V& x) { return stack({x[0] * x[0], x[1]}, 0); }, {{2, 3}, {2, 3}}},
      // distances
      {"pairwise_sq_dist", [](const V& x) { return pairwise_sq_dist(x[0], x[1]); }, {{3, 4}, {5, 4}}},
      {"pairwise_sq_dist_tasks", [](const V& x) { return pairwise_sq_dist(x[0], x[1]); }, {{2, 3, 4}, {2, 5, 4}}},
      {"l2_normalize", [](const V& x) { return l2_normalize(x[0], -1); }, {{3, 4}}},
      {"cosine_similarity", [](const V& x) { return cosine_similarity(x[0], x[1], -1); }, {{3, 4}, {1, 4}}},
      // dropout: a fixed counter-based mask
      {"dropout", [](const V& x) { return dropout(x[0] * x[0], 0.3, 7, 0); }, {{4, 5}}},
  };
}

class OpGrad : public ::testing::TestWithParam<OpCase> {
 protected:
  std::vector<Tensor> inputs() const {
    std::vector<Tensor> xs;
    for (size_t i = 0; i < GetParam().shapes.size(); ++i)
      xs.push_back(testing::random_f64(GetParam().shapes[i], 100 + i, GetParam().low, GetParam().high));
    return xs;
  }
};

TEST_P(OpGrad, FirstDerivativeMatchesCentralDifferences) { testing::gradcheck(GetParam().f, inputs(), GetParam().name); }

TEST_P(OpGrad, SecondDerivativeMatchesCentralDifferences) {
  testing::gradgradcheck(GetParam().f, inputs(), GetParam().name);
}

// The forward values, first derivatives along r and second derivatives along (r, v) of f at xs,
// computed on `device` in `dtype`, as host vectors.
std::vector<std::vector<double>> derivatives(const testing::Fn& f, const std::vector<Tensor>& xs, Device device,
                                             DType dtype = DType::f64) {
  std::vector<Var> in;
  for (const Tensor& x : xs) in.emplace_back(x.to(dtype).to(device), true);
  const Var y = f(in);
  std::vector<std::vector<double>> out{y.data().to_vector()};
  const Var loss = sum(y * Var(testing::random_f64(y.shape(), 991).to(dtype).to(device)));
  const std::vector<Var> g = grad({loss}, in, {}, {.create_graph = true, .retain_graph = std::nullopt, .allow_unused = true});
  Var total;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!g[i].defined()) continue;
    out.push_back(g[i].data().to_vector());
    const Var term = sum(g[i] * Var(testing::random_f64(xs[i].shape(), 17 + i).to(dtype).to(device)));
    total = total.defined() ? total + term : term;
  }
  if (!total.defined() || !total.requires_grad()) return out;
  for (const Var& h : grad({total}, in, {}, {.create_graph = false, .retain_graph = std::nullopt, .allow_unused = true}))
    if (h.defined()) out.push_back(h.data().to_vector());
  return out;
}

// Each result of `other` within tolerance * (1 + |cpu|) of the CPU's.
void expect_near(const std::vector<std::vector<double>>& other, const std::vector<std::vector<double>>& cpu,
                 double tolerance, const std::string& label) {
  ASSERT_EQ(other.size(), cpu.size()) << label;
  for (size_t i = 0; i < cpu.size(); ++i) {
    ASSERT_EQ(other[i].size(), cpu[i].size()) << label;
    for (size_t k = 0; k < cpu[i].size(); ++k)
      EXPECT_NEAR(other[i][k], cpu[i][k], tolerance * (1 + std::abs(cpu[i][k])))
          << label << ", result " << i << " element " << k;
  }
}

TEST_P(OpGrad, EveryBackendComputesTheSame) {
  const std::vector<std::vector<double>> cpu = derivatives(GetParam().f, inputs(), Device::cpu());
  EXPECT_EQ(derivatives(GetParam().f, inputs(), Device::check(0)), cpu) << GetParam().name << " on check:0";
  expect_near(derivatives(GetParam().f, inputs(), Device::check(1)), cpu, 1e-10, GetParam().name + " on check:1");
}

// The GPU's kernels sum in other orders than the CPU's: f64 to 1e-9, f32 (the training dtype)
// to 1e-5, against the CPU in the same dtype.
TEST_P(OpGrad, CudaComputesTheSameAsTheCpu) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (const auto& [dtype, tolerance] : {std::pair{DType::f64, 1e-9}, std::pair{DType::f32, 1e-5}})
    expect_near(derivatives(GetParam().f, inputs(), Device::cuda(0), dtype),
                derivatives(GetParam().f, inputs(), Device::cpu(), dtype), tolerance,
                GetParam().name + " on cuda:0 in " + dtype_name(dtype));
}

INSTANTIATE_TEST_SUITE_P(Ops, OpGrad, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) { return info.param.name; });

}  // namespace
}  // namespace cz
