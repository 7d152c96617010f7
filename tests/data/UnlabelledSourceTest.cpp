// Unlabelled rows: the split's examples only, distinct in a row, their pixels and ids, uniform,
// a pure function of (seed, split, step, slot), and the errors.
#include "cezanne/data/UnlabelledSource.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "cezanne/data/StoreWriter.hpp"

namespace fs = std::filesystem;
using namespace cz;
using namespace cz::data;

namespace {

constexpr int64_t kSide = 3;

// Byte 0 of an image is its class, byte 1 its position, the rest a pattern of both.
fs::path write_store(const fs::path& dir) {
  StoreWriter writer(dir, {kSide, kSide, 1}, {"test", "UnlabelledSourceTest", "", ""});
  // train: classes 0-2 (4, 6, 5 examples); val: class 3 (3); test: class 4 (7).
  const std::vector<std::pair<Split, std::vector<int>>> domains = {
      {Split::train, {4, 6, 5}}, {Split::val, {3}}, {Split::test, {7}}};
  int64_t c = 0;
  for (size_t d = 0; d < domains.size(); ++d) {
    const int32_t domain = writer.add_domain("d" + std::to_string(d), domains[d].first);
    for (const int n : domains[d].second) {
      std::vector<uint8_t> bytes(static_cast<size_t>(n * kSide * kSide));
      for (int e = 0; e < n; ++e)
        for (int64_t i = 0; i < kSide * kSide; ++i)
          bytes[e * kSide * kSide + i] = static_cast<uint8_t>(i == 0 ? c : i == 1 ? e : (c * 7 + e * 3 + i) % 256);
      writer.add_class(domain, "c" + std::to_string(c), bytes.data(), n);
      ++c;
    }
  }
  writer.finish();
  return dir;
}

class Unlabelled : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cz-unlabelled-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    store_ = Store::open(write_store(dir_));
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::shared_ptr<Store> store_;
};

TEST_F(Unlabelled, RowsHoldDistinctExamplesOfTheSplitWithTheirPixelsAndIds) {
  const UnlabelledSource source(store_, Split::train, 6, 9);
  EXPECT_EQ(source.num_examples(), 15);
  const TaskBatch b = source.sample(3, {0, 1, 2, 3});
  ASSERT_EQ(b.inputs.shape(), (Shape{4, 6, 1, kSide, kSide}));
  EXPECT_FALSE(b.labels.defined());
  EXPECT_TRUE(b.tasks.empty());
  EXPECT_EQ(b.slots, (std::vector<int64_t>{0, 1, 2, 3}));
  const std::vector<int64_t> first = {0, 4, 10, 15, 18};  // store example id of each class's 0
  const std::vector<int64_t> classes = b.class_ids.to_i64_vector(), ids = b.example_ids.to_i64_vector();
  const float* x = b.inputs.data<float>();
  for (int64_t r = 0; r < 4; ++r) {
    std::set<int64_t> row;
    for (int64_t i = 0; i < 6; ++i) {
      const int64_t k = r * 6 + i, c = classes[k];
      ASSERT_LE(c, 2) << "an example of another split";
      const int64_t position = static_cast<int64_t>(x[k * kSide * kSide + 1] * 255.0f + 0.5f);
      EXPECT_EQ(static_cast<int64_t>(x[k * kSide * kSide] * 255.0f + 0.5f), c);
      EXPECT_EQ(ids[k], first[c] + position);
      row.insert(ids[k]);
    }
    EXPECT_EQ(row.size(), 6u) << "row " << r << " repeats an example";
  }
}

// Evaluation reads the split's examples by index, class after class in store order.
TEST_F(Unlabelled, ExampleIndexWalksTheSplitClassByClass) {
  const UnlabelledSource source(store_, Split::train, 1, 9);
  const std::vector<std::pair<int64_t, int64_t>> expected{{0, 0}, {0, 3}, {1, 0}, {1, 5}, {2, 0}, {2, 4}};
  for (const auto& [index, cls_position] : std::vector<std::pair<int64_t, std::pair<int64_t, int64_t>>>{
           {0, expected[0]}, {3, expected[1]}, {4, expected[2]}, {9, expected[3]}, {10, expected[4]}, {14, expected[5]}}) {
    const Tensor x = source.example(index);
    ASSERT_EQ(x.shape(), (Shape{1, 1, 1, kSide, kSide}));
    EXPECT_EQ(static_cast<int64_t>(x.data<float>()[0] * 255.0f + 0.5f), cls_position.first) << index;
    EXPECT_EQ(static_cast<int64_t>(x.data<float>()[1] * 255.0f + 0.5f), cls_position.second) << index;
  }
  const UnlabelledSource test(store_, Split::test, 1, 9);
  EXPECT_EQ(static_cast<int64_t>(test.example(6).data<float>()[0] * 255.0f + 0.5f), 4);
  EXPECT_THROW(source.example(15), std::out_of_range);
  EXPECT_THROW(source.example(-1), std::out_of_range);
}

TEST_F(Unlabelled, ARowIsAPureFunctionOfSeedSplitStepAndSlot) {
  const UnlabelledSource source(store_, Split::train, 5, 1);
  const TaskBatch all = source.sample(7, {0, 1, 2});
  const TaskBatch one = source.sample(7, {1});
  EXPECT_EQ(one.example_ids.to_i64_vector(), all.example_ids.slice(0, 1, 2).contiguous().to_i64_vector());
  EXPECT_NE(source.sample(8, {1}).example_ids.to_i64_vector(), one.example_ids.to_i64_vector());
  EXPECT_NE(UnlabelledSource(store_, Split::train, 5, 2).sample(7, {1}).example_ids.to_i64_vector(),
            one.example_ids.to_i64_vector());
  EXPECT_EQ(source.sample(7, {}).inputs.size(0), 0);
}

TEST_F(Unlabelled, EveryExampleOfTheSplitIsEquallyLikely) {
  const UnlabelledSource source(store_, Split::test, 3, 4);
  std::map<int64_t, int> count;
  std::vector<int64_t> slots(100);
  for (int64_t s = 0; s < 100; ++s) slots[s] = s;
  for (int64_t step = 0; step < 70; ++step)
    for (const int64_t id : source.sample(step, slots).example_ids.to_i64_vector()) ++count[id];
  ASSERT_EQ(count.size(), 7u);  // ids 18..24, the test class only
  for (const auto& [id, n] : count) {
    EXPECT_GE(id, 18);
    EXPECT_NEAR(n, 3000, 3000 * 0.06) << "example " << id;  // 21000 draws over 7 examples
  }
}

TEST_F(Unlabelled, BadSizesAreOneLineNamingStoreAndSplit) {
  const std::string where = "store " + dir_.string() + ", split val: ";
  try {
    UnlabelledSource(store_, Split::val, 4, 0);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), where + "3 examples, fewer than 4 per row");
  }
  try {
    UnlabelledSource(store_, Split::val, 0, 0);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), where + "examples per row must be >= 1, got 0");
  }
}

}  // namespace

namespace {

// Split by example (--split-by example): the three parts hold every example of every class of
// the store once, each part is data::split_examples's positions, and rows draw from one part only.
TEST_F(Unlabelled, ExampleSplitPartsAreDisjointAndCoverEveryClass) {
  const ExampleSplit parts{2, 1, 1};
  const std::vector<int64_t> sizes = {4, 6, 5, 3, 7}, first = {0, 4, 10, 15, 18};
  std::map<Split, std::set<int64_t>> ids;
  for (const Split split : {Split::train, Split::val, Split::test}) {
    const UnlabelledSource source(store_, split, 1, 0, parts);
    std::vector<int64_t> expected;  // class by class in store order, positions ascending
    for (int64_t c = 0; c < 5; ++c)
      for (const int64_t p : split_examples(parts, c, sizes[c], split)) expected.push_back(first[c] + p);
    std::vector<int64_t> listed;
    for (int64_t i = 0; i < source.num_examples(); ++i) {
      listed.push_back(source.example_id(i));
      // example() reads the pixels of the listed id: byte 0 its class, byte 1 its position.
      const float* x = source.example(i).data<float>();
      const int64_t c = static_cast<int64_t>(x[0] * 255.0f + 0.5f), p = static_cast<int64_t>(x[1] * 255.0f + 0.5f);
      EXPECT_EQ(first[c] + p, listed.back());
    }
    EXPECT_EQ(listed, expected) << split_name(split);
    ids[split] = std::set<int64_t>(listed.begin(), listed.end());
    EXPECT_EQ(ids[split].size(), listed.size()) << split_name(split) << " repeats an example";
    std::vector<int64_t> slots(20);
    for (int64_t s = 0; s < 20; ++s) slots[s] = s;
    for (const int64_t id : source.sample(5, slots).example_ids.to_i64_vector())
      EXPECT_EQ(ids[split].count(id), 1u) << "a row of " << split_name(split) << " holds example " << id;
  }
  std::set<int64_t> all;
  for (const auto& [split, set] : ids) all.insert(set.begin(), set.end());
  EXPECT_EQ(all.size(), ids[Split::train].size() + ids[Split::val].size() + ids[Split::test].size())
      << "the parts overlap";
  EXPECT_EQ(all.size(), 25u) << "the parts miss an example";
  EXPECT_FALSE(ids[Split::test].empty());
  // Every class has train examples (the val and test classes of the class split too).
  std::set<int64_t> train_classes;
  for (const int64_t id : ids[Split::train])
    train_classes.insert(static_cast<int64_t>(std::upper_bound(first.begin(), first.end(), id) - first.begin()) - 1);
  EXPECT_EQ(train_classes.size(), 5u);
  EXPECT_THROW(UnlabelledSource(store_, Split::test, 1, 0, parts).example_id(ids[Split::test].size()),
               std::out_of_range);
}

}  // namespace
