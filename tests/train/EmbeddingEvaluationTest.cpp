// The frozen-embedding protocols end to end on a glyph store with fake objectives: an embedding
// that is the class (one-hot) scores 100% on every protocol; the identity embedding scores the
// nearest-pixels baseline's accuracy on the same one-shot episodes.
#include "cezanne/train/EmbeddingEvaluation.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <stdexcept>

#include "TrainFixtures.hpp"
#include "cezanne/backend/Backend.hpp"
#include "cezanne/data/EpisodeSampler.hpp"
#include "cezanne/data/PooledEpisodes.hpp"
#include "cezanne/learn/Evaluation.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/train/Evaluation.hpp"

namespace cz::train::testing {
namespace {

// An objective that only embeds (no parameters of use; one dummy so theta has a device).
class FakeObjective : public learn::UnlabelledObjective {
 public:
  std::string name() const override { return "fake"; }
  std::vector<nn::ParamSpec> specs() const override { return {{"dummy", {1}}}; }
  std::string description() const override { return "fake"; }
  Var losses(const nn::ParamList&, const data::TaskBatch&, uint64_t) const override {
    throw std::logic_error("not trained");
  }
  std::vector<std::string> metrics() const override { return {"none"}; }
  std::vector<double> evaluate(const nn::ParamList&, const Tensor&, int64_t, uint64_t) const override { return {0}; }
};

// The identity: every pixel is a feature.
class Pixels final : public FakeObjective {
 public:
  Var embed(const nn::ParamList&, const Tensor& images) const override {
    return Var(images.reshape({images.size(0), images.numel() / images.size(0)}).to(DType::f64));
  }
};

// The class itself, one-hot, looked up by the image's pixels (every example of the store).
class ClassOneHot final : public FakeObjective {
 public:
  explicit ClassOneHot(const data::UnlabelledSource& every, int64_t classes) : classes_(classes) {
    for (int64_t i = 0; i < every.num_examples(); ++i) {
      const auto [it, fresh] = class_of_.emplace(every.example(i).to_vector(), every.reference(i).class_index);
      if (!fresh && it->second != every.reference(i).class_index) it->second = -1;  // ambiguous image
    }
  }
  Var embed(const nn::ParamList&, const Tensor& images) const override {
    const int64_t n = images.size(0), d = images.numel() / n;
    const std::vector<double> pixels = images.to_vector();
    std::vector<double> out(static_cast<size_t>(n * classes_), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = class_of_.at(std::vector<double>(pixels.begin() + i * d, pixels.begin() + (i + 1) * d));
      EXPECT_GE(c, 0) << "two classes share an image";
      if (c >= 0) out[i * classes_ + c] = 1.0;
    }
    return Var(Tensor::from(out, {n, classes_}, DType::f64));
  }

 private:
  int64_t classes_;
  std::map<std::vector<double>, int64_t> class_of_;
};

class EmbeddingEvaluation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    set_num_threads(1);  // tiny tensors: a thread team costs more than it saves on a shared machine
    root_ = new TempDir("embedding-evaluation");
    make_store(root_->path / "store");
  }
  static void TearDownTestSuite() { delete root_; }
  static std::shared_ptr<data::Store> store() { return data::Store::open(root_->path / "store"); }
  static TempDir* root_;
};
TempDir* EmbeddingEvaluation::root_ = nullptr;

const nn::ParamList& no_theta() {
  static const nn::Params params({{"dummy", {1}}}, DType::f64);
  return params.list();
}

TEST_F(EmbeddingEvaluation, ClassEmbeddingScoresEverythingRight) {
  const auto s = store();
  const int64_t classes = static_cast<int64_t>(s->classes().size());
  // Every example of the store: test classes (split by class) and the 4/1/1 parts of every class.
  const data::UnlabelledSource all(s, data::Split::train, 1, 0, data::ExampleSplit{6, 0, 0});
  const ClassOneHot objective(all, classes);
  const auto test = std::make_shared<data::UnlabelledSource>(s, data::Split::test, 1, 0);
  const EmbeddedExamples held_out = embed_examples(objective, no_theta(), *test);
  ASSERT_GT(held_out.n, 0);
  EXPECT_EQ(held_out.width, classes);

  const data::EpisodeSampler episodes(s, data::Split::test, {.ways = 5, .shots = 2, .queries = 3}, 4);
  const learn::EvalResult few_shot = evaluate_nearest_centroid(objective, no_theta(), episodes, 50);
  EXPECT_EQ(few_shot.mean, 1.0);
  EXPECT_EQ(few_shot.ci95, 0.0);
  EXPECT_EQ(knn_protocol(held_out, nullptr, 3).accuracy, 1.0);
  const Accuracy probe = probe_protocol(held_out, nullptr, *s, data::ExampleSplit{});
  EXPECT_EQ(probe.accuracy, 1.0);
  // 6 examples per class under 14/2/4: 5 train the probe, 1 is scored.
  EXPECT_EQ(probe.queries, held_out.n / 6);
  EXPECT_EQ(probe.memory, held_out.n / 6 * 5);

  // Split by example: the train part is the memory, the test part the queries.
  const data::ExampleSplit parts{4, 1, 1};
  const data::UnlabelledSource train_part(s, data::Split::train, 1, 0, parts), test_part(s, data::Split::test, 1, 0, parts);
  const EmbeddedExamples memory = embed_examples(objective, no_theta(), train_part);
  const EmbeddedExamples queries = embed_examples(objective, no_theta(), test_part);
  EXPECT_EQ(memory.n, 4 * classes);
  EXPECT_EQ(queries.n, classes);
  const Accuracy knn = knn_protocol(queries, &memory, 4);
  EXPECT_EQ(knn.accuracy, 1.0);
  EXPECT_EQ(knn.queries, classes);
  EXPECT_EQ(probe_protocol(queries, &memory, *s, parts).accuracy, 1.0);
}

TEST_F(EmbeddingEvaluation, IdentityEmbeddingIsThePixelBaseline) {
  const auto s = store();
  const Pixels objective;
  for (const bool within_domain : {false, true}) {
    const data::EpisodeSampler episodes(s, data::Split::test,
                                        {.ways = 5, .shots = 1, .queries = 4, .within_domain = within_domain}, 9);
    const learn::EvalResult embedded = evaluate_nearest_centroid(objective, no_theta(), episodes, 40);
    const learn::EvalResult pixels =
        evaluate_episodes([&](int64_t i) { return learn::nearest_pixels_accuracy(episodes.sample(0, i)); }, 40);
    EXPECT_EQ(embedded.values, pixels.values) << "within_domain " << within_domain;
    EXPECT_GT(embedded.mean, 0.2);
  }
}

TEST_F(EmbeddingEvaluation, PooledEpisodesOfOneClassPartitionAreThatClass) {
  // Pools that are the test part of each class: every episode's examples come from its pools.
  const auto s = store();
  const data::UnlabelledSource part(s, data::Split::test, 1, 0, data::ExampleSplit{4, 1, 1});
  std::map<int64_t, std::vector<data::ExampleRef>> by_class;
  const data::UnlabelledSource all(s, data::Split::train, 1, 0, data::ExampleSplit{6, 0, 0});
  for (int64_t i = 0; i < all.num_examples(); ++i) by_class[all.reference(i).class_index].push_back(all.reference(i));
  data::Partitions pools(1);
  for (auto& [c, refs] : by_class) pools[0].push_back(refs);
  const ClassOneHot objective(all, static_cast<int64_t>(s->classes().size()));
  const data::PooledEpisodes episodes(s, pools, {.ways = 4, .shots = 2, .queries = 2}, 3, "test");
  EXPECT_EQ(evaluate_nearest_centroid(objective, no_theta(), episodes, 30).mean, 1.0);
}

}  // namespace
}  // namespace cz::train::testing
