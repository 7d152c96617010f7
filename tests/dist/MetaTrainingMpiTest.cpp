// Same answer at any scale: a few MAML steps on sinusoid tasks reach the same parameters on
// 1, 2 and 4 ranks as one process running the whole meta-batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <numbers>
#include <vector>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/dist/Failure.hpp"
#include "cezanne/dist/Log.hpp"
#include "cezanne/dist/GradientReducer.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/tensor/Random.hpp"
#include "dist/MpiTestMain.hpp"
#include "dist/backend/stub/StubCommunicator.hpp"

namespace cz::dist {
namespace {

using test::world;

constexpr uint64_t kSeed = 2024;
constexpr int64_t kMetaBatch = 6;  // 4 ranks get 2, 2, 1, 1 tasks
constexpr int kSteps = 5;
constexpr int64_t kShots = 5, kQueries = 5, kHidden = 40;
constexpr double kInnerLr = 0.01, kOuterLr = 0.001;

// An MLP 1-40-40-1 as six leaf Vars over one flat data buffer and one flat gradient buffer
// (what nn::Params provides; built by hand here to keep this test on the dist and engine layers).
struct Mlp {
  Tensor flat, flat_grad;
  std::vector<Var> params;

  explicit Mlp(DType dtype) {
    const std::vector<Shape> shapes = {{1, kHidden}, {kHidden}, {kHidden, kHidden}, {kHidden}, {kHidden, 1}, {1}};
    int64_t total = 0;
    for (const auto& s : shapes) total += shape_numel(s);
    flat = Tensor::zeros({total}, dtype);
    flat_grad = Tensor::zeros({total}, dtype);
    int64_t offset = 0;
    for (const auto& s : shapes) {
      const int64_t n = shape_numel(s);
      Var p(flat.slice(0, offset, offset + n).view(s), true);
      p.set_grad(flat_grad.slice(0, offset, offset + n).view(s));
      params.push_back(p);
      offset += n;
    }
  }

  // Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights, zero biases, from `seed`.
  void initialize(uint64_t seed) {
    CounterRng rng(mix_key({seed, 0x1417ull}));
    std::vector<double> v;
    const int64_t fan_in[] = {1, 0, kHidden, 0, kHidden, 0};
    for (size_t i = 0; i < params.size(); ++i)
      for (int64_t k = 0; k < params[i].numel(); ++k)
        v.push_back(fan_in[i] ? rng.uniform(-1.0, 1.0) / std::sqrt(static_cast<double>(fan_in[i])) : 0.0);
    flat.copy_(Tensor::from(v, {flat.numel()}, flat.dtype()));
  }
};

Var forward(const std::vector<Var>& p, const Var& x) {
  Var h = relu(matmul(x, p[0]) + p[1]);
  h = relu(matmul(h, p[2]) + p[3]);
  return matmul(h, p[4]) + p[5];
}

struct Task {
  Var xs, ys, xq, yq;
};

// A sinusoid task, a pure function of (seed, step, global task index).
Task sinusoid(int64_t step, int64_t task, DType dtype) {
  CounterRng rng(mix_key({kSeed, static_cast<uint64_t>(step), static_cast<uint64_t>(task)}));
  const double amplitude = rng.uniform(0.1, 5.0), phase = rng.uniform(0.0, std::numbers::pi);
  auto draw = [&](int64_t n, Var& x, Var& y) {
    std::vector<double> xv(static_cast<size_t>(n)), yv(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      xv[static_cast<size_t>(i)] = rng.uniform(-5.0, 5.0);
      yv[static_cast<size_t>(i)] = amplitude * std::sin(xv[static_cast<size_t>(i)] - phase);
    }
    x = Var(Tensor::from(xv, {n, 1}, dtype));
    y = Var(Tensor::from(yv, {n, 1}, dtype));
  };
  Task t;
  draw(kShots, t.xs, t.ys);
  draw(kQueries, t.xq, t.yq);
  return t;
}

// One second-order MAML step on `tasks`: one inner SGD step per task, the summed query
// losses backpropagated into the flat gradient, `reducer` averaging it over the meta-batch.
void meta_step(Mlp& model, GradientReducer& reducer, int64_t step, const std::vector<int64_t>& tasks) {
  model.flat_grad.fill_(0.0);
  Var outer;
  for (int64_t t : tasks) {
    const Task task = sinusoid(step, t, model.flat.dtype());
    const Var support_loss = mse(forward(model.params, task.xs), task.ys);
    const std::vector<Var> g = grad({support_loss}, model.params, {}, GradOptions{.create_graph = true, .retain_graph = std::nullopt});
    std::vector<Var> adapted;
    for (size_t i = 0; i < g.size(); ++i) adapted.push_back(model.params[i] - g[i] * kInnerLr);
    const Var query_loss = mse(forward(adapted, task.xq), task.yq);
    outer = outer.defined() ? outer + query_loss : query_loss;
  }
  // The inner-loop gradients above never left this rank; only the outer gradient moves.
  if (outer.defined()) outer.backward();
  reducer.reduce(model.flat_grad, kMetaBatch);
  NoGradGuard no_grad;
  model.flat.copy_(binary(BinaryOp::sub, model.flat, affine(model.flat_grad, kOuterLr, 0.0)));
}

double max_rel_diff(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector(), y = b.to_vector();
  double scale = 0, diff = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    scale = std::max(scale, std::abs(y[i]));
    diff = std::max(diff, std::abs(x[i] - y[i]));
  }
  return diff / scale;
}

void check_same_answer(DType dtype, double tolerance) {
  Communicator& c = world();
  // Distributed run: rank 0's initial parameters everywhere (others start elsewhere on purpose).
  Mlp model(dtype);
  model.initialize(c.rank() == 0 ? kSeed : kSeed + 1000 + static_cast<uint64_t>(c.rank()));
  broadcast_parameters(c, model.flat);
  GradientReducer reducer(c, 1024);  // small buckets: several per step, not a multiple
  for (int64_t step = 0; step < kSteps; ++step) meta_step(model, reducer, step, owned_tasks(kMetaBatch, c.rank(), c.size()));

  // Reference: one process, the whole meta-batch, no communication.
  detail::StubCommunicator alone;
  Mlp ref(dtype);
  ref.initialize(kSeed);
  const Tensor initial = ref.flat.clone();
  GradientReducer local(alone);
  for (int64_t step = 0; step < kSteps; ++step) meta_step(ref, local, step, owned_tasks(kMetaBatch, 0, 1));

  EXPECT_GT(max_rel_diff(ref.flat, initial), 1e-4);  // training moved the parameters
  const double diff = max_rel_diff(model.flat, ref.flat);
  EXPECT_LE(diff, tolerance) << "ranks " << c.size();
  std::ostringstream line;
  line << "  " << dtype_name(dtype) << " at " << c.size() << " ranks: max |theta - theta_ref| / max |theta_ref| = "
       << std::scientific << std::setprecision(2) << diff;
  log(c, line.str());
  // Every rank holds the same parameters, bit for bit.
  const std::vector<double> mine = model.flat.to_vector();
  std::vector<double> root = mine;
  c.broadcast(std::span<double>(root), 0);
  EXPECT_EQ(mine, root);
  EXPECT_TRUE(all_finite(c, is_finite(mine.data(), mine.size())));
}

TEST(MetaTraining, SameParametersAtAnyScaleF64) { check_same_answer(DType::f64, 1e-5); }
TEST(MetaTraining, SameParametersAtAnyScaleF32) { check_same_answer(DType::f32, 1e-5); }

}  // namespace
}  // namespace cz::dist

CZ_MPI_TEST_MAIN()
