// Prototypical, matching and Siamese networks: their outputs against hand computations,
// gradients against finite differences, learning on a fixed problem, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "LearnFixtures.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/EpisodicLearner.hpp"
#include "cezanne/learn/MatchingNet.hpp"
#include "cezanne/learn/ProtoNet.hpp"
#include "cezanne/learn/SiameseNet.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/nn/Vit.hpp"
#include "cezanne/optim/Adam.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {
namespace {

LearnerConfig config(const std::string& algorithm, std::shared_ptr<const nn::Model> model,
                     int64_t ways) {
  LearnerConfig c;
  c.algorithm = algorithm;
  c.model = std::move(model);
  c.ways = ways;
  return c;
}

TEST(ProtoNet, LogitsAreNegativeSquaredDistancesToClassMeans) {
  auto model = std::make_shared<nn::MLP>(std::vector<int64_t>{3, 4, 2});
  ProtoNet learner(config("protonet", model, 2));
  ASSERT_EQ(learner.specs().size(), 2u);  // the body only: layer0.weight, layer0.bias
  nn::Params params(learner.specs(), DType::f64);
  params.initialize(1);
  // Support: labels 1, 0, 1 (not class-major: the one-hot mean handles any order).
  const Tensor support = Tensor::uniform({3, 3}, -1, 1, 2, 0, DType::f64);
  const Tensor labels = Tensor::from_i64({1, 0, 1}, {3});
  const Tensor query = Tensor::uniform({2, 3}, -1, 1, 3, 0, DType::f64);
  const Tensor logits = learner.predict(params.list(), support, labels, query);
  ASSERT_EQ(logits.shape(), (Shape{2, 2}));
  // By hand: embeddings relu(x W^T + b), computed on support and query as one batch.
  const std::vector<double> W = params.list()[0].data().to_vector(),
                            bias = params.list()[1].data().to_vector();
  auto embed = [&](const Tensor& x, int64_t row) {
    std::vector<double> e(4);
    for (int j = 0; j < 4; ++j) {
      double s = bias[j];
      for (int k = 0; k < 3; ++k) s += W[j * 3 + k] * x.at({row, k});
      e[j] = std::max(s, 0.0);
    }
    return e;
  };
  std::vector<double> p0 = embed(support, 1), p1(4);
  const auto a = embed(support, 0), c = embed(support, 2);
  for (int j = 0; j < 4; ++j) p1[j] = (a[j] + c[j]) / 2;
  for (int64_t i = 0; i < 2; ++i) {
    const auto q = embed(query, i);
    double d0 = 0, d1 = 0;
    for (int j = 0; j < 4; ++j) {
      d0 += (q[j] - p0[j]) * (q[j] - p0[j]);
      d1 += (q[j] - p1[j]) * (q[j] - p1[j]);
    }
    EXPECT_NEAR(logits.at({i, 0}), -d0, 1e-12);
    EXPECT_NEAR(logits.at({i, 1}), -d1, 1e-12);
  }
}

TEST(MatchingNet, ProbabilitiesAreAttentionMassPerLabel) {
  auto model = std::make_shared<nn::MLP>(std::vector<int64_t>{3, 5, 2});
  LearnerConfig c = config("matching", model, 3);
  c.matching_scale = 2.5;
  MatchingNet learner(c);
  nn::Params params(learner.specs(), DType::f64);
  params.initialize(4);
  const Tensor support = Tensor::uniform({5, 3}, -1, 1, 5, 0, DType::f64);
  const Tensor labels = Tensor::from_i64({2, 0, 2, 1, 0}, {5});
  const Tensor query = Tensor::uniform({4, 3}, -1, 1, 6, 0, DType::f64);
  const Tensor logp = learner.predict(params.list(), support, labels, query);
  ASSERT_EQ(logp.shape(), (Shape{4, 3}));
  // By hand: attention = softmax(scale * cos) over the 5 support examples, summed per label.
  // The body's parameters plus an unused head, as MLP::embed wants the full list.
  const nn::ParamList full{params.list()[0], params.list()[1],
                           Var(Tensor::zeros({2, 5}, DType::f64)),
                           Var(Tensor::zeros({2}, DType::f64))};
  const Var e = model->embed(full, Var(cat({support, query}, 0)));
  const Tensor emb = e.data();
  auto cosine = [&](int64_t a, int64_t b) {
    double ab = 0, aa = 0, bb = 0;
    for (int j = 0; j < 5; ++j) {
      ab += emb.at({a, j}) * emb.at({b, j});
      aa += emb.at({a, j}) * emb.at({a, j});
      bb += emb.at({b, j}) * emb.at({b, j});
    }
    return ab / std::sqrt(std::max(aa, 1e-16)) / std::sqrt(std::max(bb, 1e-16));
  };
  const std::vector<int64_t> l{2, 0, 2, 1, 0};
  for (int64_t i = 0; i < 4; ++i) {
    std::vector<double> w(5);
    double total = 0;
    for (int64_t s = 0; s < 5; ++s) total += w[s] = std::exp(2.5 * cosine(5 + i, s));
    std::vector<double> p(3, 0.0);
    for (int64_t s = 0; s < 5; ++s) p[l[s]] += w[s] / total;
    for (int64_t k = 0; k < 3; ++k)
      EXPECT_NEAR(std::exp(logp.at({i, k})), p[k], 1e-12) << i << " " << k;
  }
}

TEST(SiameseNet, TestTimeIsNearestNeighbourUnderThePairScore) {
  auto model = std::make_shared<nn::MLP>(std::vector<int64_t>{3, 4, 2});
  SiameseNet learner(config("siamese", model, 2));
  const auto specs = learner.specs();
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(specs[2].name, "siamese.weight");
  EXPECT_EQ(specs[2].shape, (Shape{1, 4}));
  nn::Params params(specs, DType::f64);
  params.initialize(2);
  const Tensor support = Tensor::uniform({4, 3}, -1, 1, 7, 0, DType::f64);
  const Tensor labels = Tensor::from_i64({0, 1, 1, 0}, {4});
  const Tensor query = Tensor::uniform({3, 3}, -1, 1, 8, 0, DType::f64);
  const Tensor scores = learner.predict(params.list(), support, labels, query);
  const Tensor pairs = learner.pair_logits(params.list(), support.unsqueeze(0), query.unsqueeze(0))
                           .data()
                           .select(0, 0);  // [3, 4]
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(scores.at({i, 0}), std::max(pairs.at({i, 0}), pairs.at({i, 3})));
    EXPECT_DOUBLE_EQ(scores.at({i, 1}), std::max(pairs.at({i, 1}), pairs.at({i, 2})));
  }
}

TEST(MetricLearners, GradientsEqualFiniteDifferences) {
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{4, 6, 6, 3});
  const data::EpisodeBatch vectors = testing::vector_batch(2, 3, 4, 1, DType::f64);
  for (const char* algorithm : {"protonet", "matching", "siamese"})
    testing::check_gradient(*make_learner(config(algorithm, mlp, 3)), vectors);
  // Conv4 embeddings with per-task batch norm over support + query.
  auto conv = std::make_shared<nn::Conv4>(3, 1, 16, 3);
  data::EpisodeBatch images;
  images.support = Tensor::uniform({2, 3, 1, 16, 16}, 0, 1, 4, 0, DType::f64);
  images.query = Tensor::uniform({2, 3, 1, 16, 16}, 0, 1, 5, 0, DType::f64);
  images.support_labels = Tensor::from_i64({0, 1, 2, 0, 1, 2}, {2, 3});
  images.query_labels = Tensor::from_i64({2, 1, 0, 0, 2, 1}, {2, 3});
  for (const char* algorithm : {"protonet", "matching", "siamese"})
    testing::check_gradient(*make_learner(config(algorithm, conv, 3)), images);
}

// The ViT backbone (--model vit): its mean token is the embedding of every metric learner, and
// MAML differentiates through its inner loop (second order) on the task axis.
TEST(MetricLearners, VitBackboneGradientsEqualFiniteDifferences) {
  auto vit = std::make_shared<nn::Vit>(nn::VitSpec{1, 16, 8, {4, 1, 2, 2}}, 3);
  data::EpisodeBatch images;
  images.support = Tensor::uniform({2, 3, 1, 16, 16}, 0, 1, 4, 0, DType::f64);
  images.query = Tensor::uniform({2, 3, 1, 16, 16}, 0, 1, 5, 0, DType::f64);
  images.support_labels = Tensor::from_i64({0, 1, 2, 0, 1, 2}, {2, 3});
  images.query_labels = Tensor::from_i64({2, 1, 0, 0, 2, 1}, {2, 3});
  for (const char* algorithm : {"protonet", "matching", "siamese", "maml"})
    testing::check_gradient(*make_learner(config(algorithm, vit, 3)), images);
}

// Embedding in batches of tasks equals one task at a time (per-task batch statistics).
TEST(MetricLearners, BatchedTasksEqualOneTaskAtATime) {
  auto conv = std::make_shared<nn::Conv4>(4, 1, 16, 3);
  data::EpisodeBatch b;
  b.support = Tensor::uniform({3, 3, 1, 16, 16}, 0, 1, 14, 0, DType::f64);
  b.query = Tensor::uniform({3, 6, 1, 16, 16}, 0, 1, 15, 0, DType::f64);
  b.support_labels = Tensor::from_i64({0, 1, 2, 0, 1, 2, 2, 1, 0}, {3, 3});
  b.query_labels = Tensor::from_i64(std::vector<int64_t>(18, 1), {3, 6});
  for (const char* algorithm : {"protonet", "matching", "siamese"}) {
    const auto learner = make_learner(config(algorithm, conv, 3));
    nn::Params params(learner->specs(), DType::f64);
    params.initialize(5);
    double mean = 0;
    for (int64_t t = 0; t < 3; ++t) {
      const data::EpisodeBatch one = b.tasks(t, t + 1);
      mean += learner->meta_loss(params.list(), one).item() / 3;
    }
    EXPECT_NEAR(learner->meta_loss(params.list(), b).item(), mean, 1e-12) << algorithm;
  }
}

// A fixed problem: the loss falls under Adam and the query accuracy ends high.
TEST(MetricLearners, LossFallsOnAFixedProblem) {
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{8, 32, 16, 5});
  const data::EpisodeBatch batch = testing::vector_batch(4, 5, 8, 9, DType::f32);
  for (const char* algorithm : {"protonet", "matching", "siamese"}) {
    const auto learner = make_learner(config(algorithm, mlp, 5));
    const auto [first, last] = testing::train_on(*learner, batch, 8, 0.01, 60);
    EXPECT_LT(last.loss, 0.5 * first.loss)
        << algorithm << ": " << first.loss << " -> " << last.loss;
    EXPECT_GE(last.accuracy, 0.9) << algorithm;
  }
}

TEST(MetricLearners, BadInputGivesClearErrors) {
  auto conv = std::make_shared<nn::Conv4>(4, 3, 84, 5);
  LearnerConfig c = config("protonet", conv, 5);
  const auto learner = make_learner(c);
  nn::Params params(learner->specs());
  data::EpisodeBatch b;
  b.support = Tensor::zeros({1, 5, 1, 28, 28});
  b.query = Tensor::zeros({1, 5, 1, 28, 28});
  b.support_labels = Tensor::from_i64({0, 1, 2, 3, 4}, {1, 5});
  b.query_labels = b.support_labels;
  testing::expect_invalid_argument(
      [&] { learner->meta_loss(params.list(), b); },
      "protonet: support examples are [1, 28, 28] but the model (Conv4) takes [3, 84, "
      "84]: the model does "
      "not fit the data");
  c.loss = Loss::mse;
  for (const char* algorithm : {"protonet", "matching", "siamese"}) {
    c.algorithm = algorithm;
    try {
      make_learner(c);
      FAIL() << algorithm;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), std::string(algorithm) +
                                           ": classification only (a metric learner has no "
                                           "regression output)");
    }
  }
  testing::expect_invalid_argument([&] { learner->check_checkpoint("maml", conv->specs()); },
                                   "checkpoint of 'maml' cannot be loaded into 'protonet'");
  testing::expect_invalid_argument([&] { learner->meta_loss(nn::ParamList{}, b); },
                                   "protonet: expected 16 parameters, got 0");
}

}  // namespace
}  // namespace cz::learn
