// MANN and the set encoder: parameters, outputs against hand computations, gradients against
// finite differences, batched = one task at a time, learning on a fixed problem, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "LearnFixtures.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/BlackBox.hpp"
#include "cezanne/learn/Algorithms.hpp"
#include "cezanne/learn/EpisodicLearner.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/optim/Adam.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {
namespace {

LearnerConfig config(const std::string& algorithm, std::shared_ptr<const nn::Model> model,
                     int64_t ways, int64_t hidden = 16, bool memory = false) {
  LearnerConfig c;
  c.algorithm = algorithm;
  c.model = std::move(model);
  c.ways = ways;
  c.hidden = hidden;
  c.memory = memory;
  return c;
}

// The black-box learners under test: MANN with and without its external memory, the set encoder.
struct Kind {
  const char* algorithm;
  bool memory;
  std::string label() const { return std::string(algorithm) + (memory ? " with memory" : ""); }
};
const Kind kKinds[] = {{"mann", false}, {"mann", true}, {"set_encoder", false}};

std::unique_ptr<EpisodicLearner> make(const Kind& k, std::shared_ptr<const nn::Model> model, int64_t ways,
                                      int64_t hidden) {
  return make_learner(config(k.algorithm, std::move(model), ways, hidden, k.memory));
}

TEST(BlackBox, RegisteredWithTheirParameters) {
  ASSERT_NE(find_algorithm("mann"), nullptr);
  ASSERT_NE(find_algorithm("set_encoder"), nullptr);
  EXPECT_EQ(find_algorithm("mann")->kind, Algorithm::Kind::episodic);
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{3, 4, 2});  // body: D = 4
  const auto mann = make_learner(config("mann", mlp, 2, 5));
  EXPECT_EQ(mann->name(), "mann");
  const std::vector<nn::ParamSpec> m = mann->specs();
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(m[2].name, "lstm.w_ih");
  EXPECT_EQ(m[2].shape, (Shape{20, 6}));  // 4H x (D + ways)
  EXPECT_EQ(m[3].shape, (Shape{20, 5}));
  EXPECT_EQ(m[4].shape, (Shape{20}));
  EXPECT_EQ(m[5].name, "head.weight");
  EXPECT_EQ(m[5].shape, (Shape{2, 5}));
  EXPECT_EQ(m[6].shape, (Shape{2}));
  const std::vector<nn::ParamSpec> mm = make_learner(config("mann", mlp, 2, 5, true))->specs();
  ASSERT_EQ(mm.size(), 11u);
  EXPECT_EQ(mm[5].name, "key.weight");
  EXPECT_EQ(mm[5].shape, (Shape{5, 5}));
  EXPECT_EQ(mm[6].shape, (Shape{5}));
  EXPECT_EQ(mm[7].name, "memory.write_gate");
  EXPECT_EQ(mm[7].shape, (Shape{1}));
  EXPECT_EQ(mm[8].name, "memory.read_scale");
  EXPECT_EQ(mm[8].init.kind, nn::Init::constant);
  EXPECT_EQ(mm[8].init.a, 10.0);
  EXPECT_EQ(mm[9].name, "head.weight");
  EXPECT_EQ(mm[9].shape, (Shape{2, 10}));  // reads [h ; r]
  const auto enc = make_learner(config("set_encoder", mlp, 2));
  EXPECT_EQ(enc->name(), "set_encoder");
  const std::vector<nn::ParamSpec> s = enc->specs();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[2].name, "encoder.weight");
  EXPECT_EQ(s[2].shape, (Shape{5, 6}));  // (D + 1) x (D + ways)
  EXPECT_EQ(s[3].shape, (Shape{5}));
}

// Set encoder by hand: per-class summary -> classifier rows -> query logits.
TEST(SetEncoder, LogitsAreAClassifierBuiltFromClassSummaries) {
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{2, 3, 2});
  SetEncoder learner(config("set_encoder", mlp, 2));
  nn::Params params(learner.specs(), DType::f64);
  params.initialize(4);
  const Tensor support = Tensor::uniform({3, 2}, -1, 1, 5, 0, DType::f64);
  const Tensor labels = Tensor::from_i64({1, 0, 1}, {3});
  const Tensor query = Tensor::uniform({2, 2}, -1, 1, 6, 0, DType::f64);
  const Tensor logits = learner.predict(params.list(), support, labels, query);
  ASSERT_EQ(logits.shape(), (Shape{2, 2}));
  const std::vector<double> W = params.list()[0].data().to_vector(),
                            b = params.list()[1].data().to_vector(),
                            A = params.list()[2].data().to_vector(),
                            a = params.list()[3].data().to_vector();
  auto embed = [&](const Tensor& x, int64_t i) {
    std::vector<double> e(3);
    for (int64_t j = 0; j < 3; ++j) {
      double v = b[j];
      for (int64_t k = 0; k < 2; ++k) v += W[j * 2 + k] * x.at({i, k});
      e[j] = std::max(v, 0.0);
    }
    return e;
  };
  // Class summaries [mean_c (3) ; onehot(c) (2)]: class 0 = example 1, class 1 = mean of 0, 2.
  std::vector<std::vector<double>> summary(2, std::vector<double>(5, 0.0));
  const std::vector<double> e0 = embed(support, 0), e1 = embed(support, 1), e2 = embed(support, 2);
  for (int j = 0; j < 3; ++j) {
    summary[0][j] = e1[j];
    summary[1][j] = (e0[j] + e2[j]) / 2;
  }
  summary[0][3] = 1;
  summary[1][4] = 1;
  for (int64_t qi = 0; qi < 2; ++qi) {
    const std::vector<double> eq = embed(query, qi);
    for (int c = 0; c < 2; ++c) {
      std::vector<double> row(4);  // W_phi[c] (3), b_phi[c]
      for (int r = 0; r < 4; ++r) {
        row[r] = a[r];
        for (int k = 0; k < 5; ++k) row[r] += A[r * 5 + k] * summary[c][k];
      }
      const double expected = eq[0] * row[0] + eq[1] * row[1] + eq[2] * row[2] + row[3];
      EXPECT_NEAR(logits.at({qi, c}), expected, 1e-12) << qi << " " << c;
    }
  }
}

// MANN: the queries branch off the support state in parallel (a query's logits do not depend
// on the other queries), and every support label is read, the last one included.
TEST(Mann, QueriesAreIndependentAndEveryLabelIsRead) {
  for (const bool memory : {false, true}) {
  SCOPED_TRACE(memory ? "with memory" : "LSTM only");
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{2, 4, 2});
  Mann learner(config("mann", mlp, 2, 6, memory));
  nn::Params params(learner.specs(), DType::f64);
  params.initialize(7);
  const Tensor support = Tensor::uniform({4, 2}, -1, 1, 8, 0, DType::f64);
  const Tensor labels = Tensor::from_i64({0, 1, 1, 0}, {4});
  const Tensor query = Tensor::uniform({3, 2}, -1, 1, 9, 0, DType::f64);
  const Tensor all = learner.predict(params.list(), support, labels, query);
  ASSERT_EQ(all.shape(), (Shape{3, 2}));
  for (int64_t i = 0; i < 3; ++i) {
    const Tensor one = learner.predict(params.list(), support, labels, query.slice(0, i, i + 1));
    for (int64_t c = 0; c < 2; ++c) EXPECT_NEAR(one.at({0, c}), all.at({i, c}), 1e-12);
  }
  const Tensor flipped =
      learner.predict(params.list(), support, Tensor::from_i64({0, 1, 1, 1}, {4}), query);
  EXPECT_GT(std::abs(flipped.at({0, 0}) - all.at({0, 0})), 1e-9);
  }
}

TEST(BlackBox, GradientsEqualFiniteDifferences) {
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{4, 6, 6, 3});
  const data::EpisodeBatch batch = testing::vector_batch(2, 3, 4, 1, DType::f64);
  for (const Kind& k : kKinds) {
    SCOPED_TRACE(k.label());
    testing::check_gradient(*make(k, mlp, 3, 5), batch);
  }
}

TEST(BlackBox, BatchedTasksEqualOneTaskAtATime) {
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{4, 6, 3});
  data::EpisodeBatch b = testing::vector_batch(3, 3, 4, 2, DType::f64);
  b.support_labels = Tensor::from_i64({0, 1, 2, 0, 1, 2, 2, 1, 0, 0, 1, 1, 2, 0, 1, 0, 2, 2},
                                      {3, 6});  // mixed orders, per task
  for (const Kind& k : kKinds) {
    const auto learner = make(k, mlp, 3, 8);
    nn::Params params(learner->specs(), DType::f64);
    params.initialize(5);
    double mean = 0;
    for (int64_t t = 0; t < 3; ++t) {
      const data::EpisodeBatch one = b.tasks(t, t + 1);
      mean += learner->meta_loss(params.list(), one).item() / 3;
      const Tensor p = learner->predict(params.list(), b.support.select(0, t),
                                        b.support_labels.select(0, t), b.query.select(0, t));
      EXPECT_EQ(p.shape(), (Shape{9, 3}));
    }
    EXPECT_NEAR(learner->meta_loss(params.list(), b).item(), mean, 1e-12) << k.label();
  }
}

TEST(BlackBox, LossFallsOnAFixedProblem) {
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{2, 32, 16, 3});
  const data::EpisodeBatch batch = testing::vector_batch(4, 3, 2, 9, DType::f32);
  for (const Kind& k : kKinds) {
    const auto learner = make(k, mlp, 3, 32);
    const auto [first, last] = testing::train_on(*learner, batch, 8, 0.01, 80);
    EXPECT_LT(last.loss, 0.5 * first.loss)
        << k.label() << ": " << first.loss << " -> " << last.loss;
    EXPECT_GE(last.accuracy, 0.9) << k.label();
  }
}

// A learner built for the model's 5 labels answers a 3-way episode with the first 3 logits of
// the 5-label computation (the set encoder's absent labels give zero summaries; MANN never
// reads labels 3 and 4), and refuses more ways than the model's head has.
TEST(BlackBox, FewerWaysThanTheModelUseTheFirstLabels) {
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{2, 6, 5});
  for (const Kind& k : kKinds) {
    const char* algorithm = k.algorithm;
    const auto wide = make(k, mlp, 5, 4);
    const auto narrow = make(k, mlp, 3, 4);
    ASSERT_EQ(wide->specs().size(), narrow->specs().size());
    nn::Params params(wide->specs(), DType::f64);
    params.initialize(8);
    const Tensor support = Tensor::uniform({4, 2}, -1, 1, 3, 0, DType::f64);
    const Tensor labels = Tensor::from_i64({2, 0, 1, 2}, {4});
    const Tensor query = Tensor::uniform({3, 2}, -1, 1, 4, 0, DType::f64);
    const Tensor all = wide->predict(params.list(), support, labels, query);
    const Tensor first = narrow->predict(params.list(), support, labels, query);
    ASSERT_EQ(first.shape(), (Shape{3, 3}));
    EXPECT_LT(max_abs_diff(first, all.slice(1, 0, 3).contiguous()), 1e-14) << k.label();
    testing::expect_invalid_argument([&] { make_learner(config(algorithm, mlp, 6, 4)); },
                                     std::string(algorithm) +
                                         ": 6 ways but the model's head has 5 outputs");
  }
}

TEST(BlackBox, BadInputGivesClearErrors) {
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{2, 4, 2});
  LearnerConfig c = config("mann", mlp, 2, 0);
  testing::expect_invalid_argument([&] { make_learner(c); }, "mann: hidden must be >= 1, got 0");
  c.hidden = 4;
  c.loss = Loss::mse;
  for (const char* algorithm : {"mann", "set_encoder"}) {
    c.algorithm = algorithm;
    try {
      make_learner(c);
      FAIL() << algorithm;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string(algorithm) +
                    ": classification only (a black-box learner outputs ways logits)");
    }
  }
  c.loss = Loss::cross_entropy;
  c.algorithm = "set_encoder";
  c.memory = true;
  testing::expect_invalid_argument([&] { make_learner(c); }, "set_encoder: memory (--memory) is for mann");
  c.memory = false;
  const auto learner = make_learner(c);
  nn::Params params(learner->specs());
  data::EpisodeBatch b;
  b.support = Tensor::zeros({1, 2, 3});
  b.query = Tensor::zeros({1, 2, 2});
  b.support_labels = Tensor::from_i64({0, 1}, {1, 2});
  b.query_labels = Tensor::from_i64({0, 2}, {1, 2});
  testing::expect_invalid_argument(
      [&] { learner->meta_loss(params.list(), b); },
      "set_encoder: support examples are [3] but the model (MLP) takes [2]: the "
      "model does not fit the data");
  b.support = Tensor::zeros({1, 2, 2});
  testing::expect_invalid_argument([&] { learner->meta_loss(params.list(), b); },
                                   "set_encoder: query label 2 is outside 0..1 (2-way learner)");
  testing::expect_invalid_argument([&] { learner->meta_loss(nn::ParamList{}, b); },
                                   "set_encoder: expected 4 parameters, got 0");
}

}  // namespace
}  // namespace cz::learn
