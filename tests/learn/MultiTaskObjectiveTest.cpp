// MultiTaskObjective: per-task losses against separate computations, the class mask,
// share-nothing against independent networks, specs and errors.
#include "cezanne/learn/MultiTaskObjective.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/GradCheck.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/Params.hpp"

namespace cz::learn {
namespace {

constexpr int64_t kTasks = 3, kOutputs = 5, kExamples = 4;
const std::vector<int64_t> kClasses{5, 2, 3};

nn::TaskNetSpec tiny(nn::Conditioning c) {
  nn::TaskNetSpec s;
  s.filters = 2;
  s.channels = 1;
  s.image = 16;
  s.num_tasks = kTasks;
  s.outputs = kOutputs;
  s.conditioning = c;
  return s;
}

// Rows of tasks `tasks`, random images, labels within each row's task's classes.
data::TaskBatch batch_of(const std::vector<int64_t>& tasks, uint64_t seed) {
  const int64_t rows = static_cast<int64_t>(tasks.size());
  data::TaskBatch b;
  b.inputs = Tensor::uniform({rows, kExamples, 1, 16, 16}, 0, 1, seed, 0, DType::f64);
  std::vector<int64_t> labels;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < kExamples; ++i) labels.push_back((r + 3 * i) % kClasses[tasks[r]]);
  b.labels = Tensor::from_i64(labels, {rows, kExamples});
  b.class_ids = b.labels;
  b.example_ids = b.labels;
  b.tasks = tasks;
  return b;
}

nn::Params random_params(const MultiTaskObjective& objective, uint64_t seed) {
  nn::Params p(objective.specs(), DType::f64);
  for (size_t i = 0; i < p.size(); ++i) {
    Tensor data = p[i].data();
    data.copy_(testing::random_f64(data.shape(), seed + i));
  }
  return p;
}

// Row r's loss by hand: -log softmax over the task's first classes only, mean over examples.
double hand_loss(const Tensor& logits, const data::TaskBatch& b, int64_t r) {
  const std::vector<double> y = logits.contiguous().to_vector();
  const std::vector<int64_t> labels = b.labels.to_i64_vector();
  const int64_t classes = kClasses[b.tasks[r]];
  double total = 0;
  for (int64_t i = 0; i < kExamples; ++i) {
    const double* row = y.data() + (r * kExamples + i) * kOutputs;
    double m = row[0];
    for (int64_t c = 1; c < classes; ++c) m = std::max(m, row[c]);
    double z = 0;
    for (int64_t c = 0; c < classes; ++c) z += std::exp(row[c] - m);
    total += -(row[labels[r * kExamples + i]] - m - std::log(z));
  }
  return total / kExamples;
}

class EveryConditioning : public ::testing::TestWithParam<nn::Conditioning> {};

// The notes' objective sum_i L_i: row t of one batched call equals task t computed alone, and the
// masked cross-entropy written out by hand, in f64 to 1e-12.
TEST_P(EveryConditioning, PerTaskLossesEqualSeparateComputations) {
  const MultiTaskObjective objective(tiny(GetParam()), kClasses, false);
  const nn::Params theta = random_params(objective, 11);
  const data::TaskBatch b = batch_of({0, 2, 1, 0}, 5);
  const TaskLosses all = objective.losses(theta.list(), b);
  ASSERT_EQ(all.losses.shape(), (Shape{4}));
  const std::vector<double> l = all.losses.data().to_vector();
  const Tensor logits = objective.net().forward(
      nn::ParamList(theta.list().begin(), theta.list().end()), Var(b.inputs),
      Tensor::from_i64(b.tasks, {4})).data();
  for (int64_t r = 0; r < 4; ++r) {
    const TaskLosses alone = objective.losses(theta.list(), b.rows(r, r + 1));
    EXPECT_NEAR(l[r], alone.losses.data().to_vector()[0], 1e-12) << "row " << r;
    EXPECT_NEAR(l[r], hand_loss(logits, b, r), 1e-12) << "row " << r;
    EXPECT_EQ(all.accuracy[r], alone.accuracy[0]);
  }
}

INSTANTIATE_TEST_SUITE_P(
    MultiTaskObjective, EveryConditioning,
    ::testing::Values(nn::Conditioning::share_nothing, nn::Conditioning::concat_input,
                      nn::Conditioning::concat_features, nn::Conditioning::additive,
                      nn::Conditioning::multiplicative, nn::Conditioning::film,
                      nn::Conditioning::multi_head),
    [](const auto& info) { return std::string(nn::to_string(info.param)); });

// A task never predicts a class it does not have: the masked logits lose every argmax.
TEST(MultiTaskObjective, MaskedClassesAreNeverPredicted) {
  const MultiTaskObjective objective(tiny(nn::Conditioning::multi_head), kClasses, false);
  const nn::Params theta = random_params(objective, 3);
  const data::TaskBatch b = batch_of({1, 1, 2}, 9);
  const Tensor y = objective.logits(theta.list(), b).data();
  Tensor predicted;
  cz::max(y, -1, false, &predicted);
  const std::vector<int64_t> p = predicted.to_i64_vector();
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t i = 0; i < kExamples; ++i) EXPECT_LT(p[r * kExamples + i], kClasses[b.tasks[r]]);
}

// Share-nothing is T independent networks: task k's slice of every parameter gets exactly the
// gradient a lone Conv4 gets from task k's rows, and nothing from the other tasks' rows.
TEST(MultiTaskObjective, ShareNothingEqualsIndependentNetworks) {
  const MultiTaskObjective objective(tiny(nn::Conditioning::share_nothing), kClasses, false);
  nn::Params theta = random_params(objective, 21);
  const data::TaskBatch b = batch_of({2, 0, 2}, 4);
  theta.zero_grad();
  sum(objective.losses(theta.list(), b).losses).backward();

  const nn::Conv4 lone(2, 1, 16, kOutputs);
  for (const int64_t task : {0, 1, 2}) {
    std::vector<int64_t> rows;
    for (int64_t r = 0; r < 3; ++r)
      if (b.tasks[r] == task) rows.push_back(r);
    nn::Params single(lone.specs(), DType::f64);
    for (size_t i = 0; i < single.size(); ++i) {
      Tensor data = single[i].data();
      data.copy_(theta[i].data().select(0, task));
    }
    for (const int64_t r : rows) {
      const data::TaskBatch row = b.rows(r, r + 1);
      // The same masked cross-entropy through a lone network of this task.
      const Var y = lone.forward(single.list(), Var(row.inputs.select(0, 0)));
      const Var masked = slice(y, -1, 0, kClasses[task]);
      cross_entropy(masked, row.labels.select(0, 0)).backward();
    }
    for (size_t i = 0; i < single.size(); ++i) {
      const std::vector<double> expected = single[i].grad().to_vector();
      const std::vector<double> got = theta[i].grad().select(0, task).contiguous().to_vector();
      ASSERT_EQ(expected.size(), got.size());
      for (size_t k = 0; k < got.size(); ++k)
        EXPECT_NEAR(got[k], rows.empty() ? 0.0 : expected[k], 1e-12)
            << theta.name(i) << " of task " << task << " element " << k;
    }
  }
}

TEST(MultiTaskObjective, UncertaintyWeightingAddsOneLogVariancePerTask) {
  const MultiTaskObjective objective(tiny(nn::Conditioning::film), kClasses, true);
  const std::vector<nn::ParamSpec> specs = objective.specs();
  ASSERT_EQ(objective.log_variance_index(), specs.size() - 1);
  EXPECT_EQ(specs.back().name, "task_log_variance");
  EXPECT_EQ(specs.back().shape, (Shape{kTasks}));
  EXPECT_FALSE(objective.shared().back());
  EXPECT_EQ(objective.description(), "conv4 filters=2 channels=1 image=16 conditioning=film tasks=3 outputs=5");
  const MultiTaskObjective plain(tiny(nn::Conditioning::film), kClasses, false);
  EXPECT_EQ(plain.specs().size(), specs.size() - 1);
  EXPECT_THROW(plain.log_variance_index(), std::logic_error);
}

TEST(MultiTaskObjective, RefusesWhatDoesNotFit) {
  auto message = [](auto f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([] { MultiTaskObjective(tiny(nn::Conditioning::film), {5, 2}, false); }),
            "multitask: 2 class counts for 3 tasks");
  EXPECT_EQ(message([] { MultiTaskObjective(tiny(nn::Conditioning::film), {5, 6, 2}, false); }),
            "multitask: task 1 has 6 classes; need 2..5 (the network's outputs)");
  const MultiTaskObjective objective(tiny(nn::Conditioning::multi_head), kClasses, false);
  const nn::Params theta = random_params(objective, 1);
  data::TaskBatch b = batch_of({1}, 2);
  b.labels = Tensor::from_i64({0, 1, 2, 0}, {1, kExamples});
  EXPECT_EQ(message([&] { objective.losses(theta.list(), b); }),
            "multitask: label 2 of row 0 outside task 1's 2 classes");
}

}  // namespace
}  // namespace cz::learn
