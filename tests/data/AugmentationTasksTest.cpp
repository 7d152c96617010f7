// Augmentation tasks: one unlabelled train example per class, its views as shots and queries,
// consistent labels, a pure function of (seed, split, step, task index), and the errors.
#include "cezanne/data/AugmentationTasks.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "cezanne/data/StoreWriter.hpp"

namespace fs = std::filesystem;
using namespace cz;
using namespace cz::data;

namespace {

constexpr int64_t kSide = 8, kImage = kSide * kSide;

// Byte 0 of an image is its class, byte 1 its position, the rest a pattern of both.
fs::path write_store(const fs::path& dir) {
  StoreWriter writer(dir, {kSide, kSide, 1}, {"test", "AugmentationTasksTest", "", ""});
  // train: classes 0-2 (4, 6, 5 examples); val: class 3 (3); test: class 4 (7).
  const std::vector<std::pair<Split, std::vector<int>>> domains = {
      {Split::train, {4, 6, 5}}, {Split::val, {3}}, {Split::test, {7}}};
  int64_t c = 0;
  for (size_t d = 0; d < domains.size(); ++d) {
    const int32_t domain = writer.add_domain(std::string("d").append(std::to_string(d)), domains[d].first);
    for (const int n : domains[d].second) {
      std::vector<uint8_t> bytes(static_cast<size_t>(n * kImage));
      for (int e = 0; e < n; ++e)
        for (int64_t i = 0; i < kImage; ++i)
          bytes[e * kImage + i] = static_cast<uint8_t>(i == 0 ? c : i == 1 ? e : (c * 37 + e * 11 + i * 5) % 256);
      writer.add_class(domain, std::string("c").append(std::to_string(c)), bytes.data(), n);
      ++c;
    }
  }
  writer.finish();
  return dir;
}

int64_t byte(const float* image, int64_t i) { return static_cast<int64_t>(image[i] * 255.0f + 0.5f); }

EpisodeSpec spec(int ways, int shots, int queries) {
  EpisodeSpec s;
  s.ways = ways, s.shots = shots, s.queries = queries;
  return s;
}

std::vector<float> floats(const Tensor& t) { return t.contiguous().to_f32_vector(); }

class AugmentationTasksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cz-augtasks-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    store_ = Store::open(write_store(dir_));
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::shared_ptr<Store> store_;
};

}  // namespace

TEST_F(AugmentationTasksTest, EachClassIsOneTrainExampleAndItsViews) {
  // No augmentation: every view of a label is its example itself.
  const AugmentationTasks tasks(store_, Split::train, spec(5, 2, 3), AugmentSpec::parse("none"), 4);
  const UnlabelledSource examples(store_, Split::train, 5, 4);
  for (int64_t t = 0; t < 6; ++t) {
    const Episode e = tasks.sample(9, t);
    ASSERT_EQ(e.support.shape(), (Shape{10, 1, kSide, kSide}));
    ASSERT_EQ(e.query.shape(), (Shape{15, 1, kSide, kSide}));
    EXPECT_EQ(e.support_labels.to_i64_vector(), (std::vector<int64_t>{0, 0, 1, 1, 2, 2, 3, 3, 4, 4}));
    EXPECT_EQ(e.query_labels.to_i64_vector(),
              (std::vector<int64_t>{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}));
    // Label l's example is UnlabelledSource's draw l of the same (seed, split, step, slot).
    const TaskBatch drawn = examples.sample(9, {t});
    const std::vector<float> originals = floats(drawn.inputs);
    EXPECT_EQ(e.classes, drawn.class_ids.to_i64_vector());
    const float* s = e.support.data<float>();
    const float* q = e.query.data<float>();
    std::set<std::pair<int64_t, int64_t>> distinct;
    for (int64_t l = 0; l < 5; ++l) {
      const float* original = originals.data() + l * kImage;
      EXPECT_LE(byte(original, 0), 2) << "an example of another split";
      distinct.insert({byte(original, 0), byte(original, 1)});
      for (int64_t k = 0; k < 2; ++k) EXPECT_TRUE(std::equal(original, original + kImage, s + (l * 2 + k) * kImage));
      for (int64_t k = 0; k < 3; ++k) EXPECT_TRUE(std::equal(original, original + kImage, q + (l * 3 + k) * kImage));
    }
    EXPECT_EQ(distinct.size(), 5u) << "task " << t << " repeats an example";
    EXPECT_EQ(e.rotations, std::vector<int>(5, 0));
  }
}

TEST_F(AugmentationTasksTest, ShotsAndQueriesAreTheAugmentedViewsOfTheExample) {
  const AugmentSpec augmentation;  // the defaults
  const AugmentationTasks tasks(store_, Split::train, spec(3, 1, 2), augmentation, 11);
  const UnlabelledSource examples(store_, Split::train, 3, 11);
  const int64_t t = 4, step = 2;
  const Episode e = tasks.sample(step, t);
  const Tensor originals = examples.sample(step, {t}).inputs.view({3, 1, kSide, kSide});
  const std::vector<int64_t> keys = {t * 3, t * 3 + 1, t * 3 + 2};
  for (int64_t view = 0; view < 3; ++view) {
    const std::vector<float> expected = floats(augment(originals, augmentation, 11, step, keys, view));
    for (int64_t l = 0; l < 3; ++l) {
      const Tensor got = view == 0 ? e.support.slice(0, l, l + 1) : e.query.slice(0, l * 2 + view - 1, l * 2 + view);
      EXPECT_TRUE(std::equal(expected.begin() + l * kImage, expected.begin() + (l + 1) * kImage, floats(got).begin()))
          << "label " << l << " view " << view;
    }
  }
  // The views of one example differ from each other.
  EXPECT_NE(floats(e.query.slice(0, 0, 1)), floats(e.query.slice(0, 1, 2)));
}

TEST_F(AugmentationTasksTest, ATaskIsAPureFunctionOfSeedStepAndTaskIndex) {
  const AugmentationTasks tasks(store_, Split::train, spec(4, 1, 2), AugmentSpec{}, 3);
  const EpisodeBatch batch = tasks.sample_batch(5, {7, 2, 9});
  ASSERT_EQ(batch.support.shape(), (Shape{3, 4, 1, kSide, kSide}));
  EXPECT_EQ(batch.task_indices, (std::vector<int64_t>{7, 2, 9}));
  for (int64_t r = 0; r < 3; ++r) {
    const Episode e = tasks.sample(5, batch.task_indices[r]);
    EXPECT_EQ(floats(batch.support.select(0, r)), floats(e.support)) << r;
    EXPECT_EQ(floats(batch.query.select(0, r)), floats(e.query)) << r;
    EXPECT_EQ(batch.support_labels.select(0, r).to_i64_vector(), e.support_labels.to_i64_vector());
    EXPECT_EQ(batch.query_labels.select(0, r).to_i64_vector(), e.query_labels.to_i64_vector());
  }
  EXPECT_EQ(floats(tasks.sample(5, 2).query), floats(tasks.sample(5, 2).query));
  EXPECT_NE(floats(tasks.sample(6, 2).query), floats(tasks.sample(5, 2).query));
  const AugmentationTasks other(store_, Split::train, spec(4, 1, 2), AugmentSpec{}, 4);
  EXPECT_NE(floats(other.sample(5, 2).query), floats(tasks.sample(5, 2).query));
  EXPECT_EQ(tasks.sample_batch(5, {}).support.size(0), 0);
}

TEST_F(AugmentationTasksTest, UnshuffledLabelsFollowTheStoreOrder) {
  EpisodeSpec s = spec(5, 1, 1);
  s.shuffle_labels = false;
  const AugmentationTasks tasks(store_, Split::train, s, AugmentSpec::parse("none"), 8);
  for (int64_t t = 0; t < 5; ++t) {
    const Episode e = tasks.sample(1, t);
    const float* x = e.support.data<float>();
    for (int64_t l = 1; l < 5; ++l) {
      const auto before = std::make_pair(byte(x + (l - 1) * kImage, 0), byte(x + (l - 1) * kImage, 1));
      const auto here = std::make_pair(byte(x + l * kImage, 0), byte(x + l * kImage, 1));
      EXPECT_LT(before, here) << "task " << t << " label " << l;
      EXPECT_EQ(e.classes[l], here.first);
    }
  }
}

TEST_F(AugmentationTasksTest, BadSpecsAreOneLineNamingStoreAndSplit) {
  const std::string where = "AugmentationTasks: store '" + dir_.string() + "' split 'train': ";
  auto message = [&](EpisodeSpec s, AugmentSpec a = {}, Split split = Split::train) {
    try {
      AugmentationTasks(store_, split, s, a, 0);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(spec(0, 1, 1)), where + "ways must be >= 1, got 0");
  EXPECT_EQ(message(spec(2, 0, 1)), where + "shots must be >= 1, got 0");
  EpisodeSpec domain = spec(2, 1, 1);
  domain.within_domain = true;
  EXPECT_EQ(message(domain), where + "within_domain has no meaning for augmentation tasks (a class is one example)");
  EpisodeSpec rotations = spec(2, 1, 1);
  rotations.rotations = true;
  EXPECT_EQ(message(rotations), where + "rotations have no meaning for augmentation tasks (a class is one example)");
  AugmentSpec bad;
  bad.noise = -1;
  EXPECT_EQ(message(spec(2, 1, 1), bad), "augment: noise must be in [0, 1], got -1");
  EXPECT_EQ(message(spec(4, 1, 1), {}, Split::val),
            "store " + dir_.string() + ", split val: 3 examples, fewer than 4 per row");
}
