// Episodes of pools (CACTUs' clusters): every label's examples come from one pool of the drawn
// partition, distinct, the same for the same (seed, step, task) whichever way they are drawn.
#include "cezanne/data/PooledEpisodes.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
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

constexpr int64_t kSide = 3, kClasses = 4, kExamples = 6;

// Byte 0 of an image is its class, byte 1 its position: an episode's image names its example.
fs::path write_store(const fs::path& dir) {
  StoreWriter writer(dir, {kSide, kSide, 1}, {"test", "PooledEpisodesTest", "", ""});
  const int32_t domain = writer.add_domain("d", Split::train);
  for (int64_t c = 0; c < kClasses; ++c) {
    std::vector<uint8_t> bytes(static_cast<size_t>(kExamples * kSide * kSide));
    for (int64_t e = 0; e < kExamples; ++e)
      for (int64_t i = 0; i < kSide * kSide; ++i)
        bytes[e * kSide * kSide + i] = static_cast<uint8_t>(i == 0 ? c : i == 1 ? e : 100 + i);
    writer.add_class(domain, "c" + std::to_string(c), bytes.data(), kExamples);
  }
  writer.finish();
  return dir;
}

// Two partitions that mix classes: example (c, e) is in pool (c * 6 + e) % 5 of partition 0 and
// pool (c + e) % 3 of partition 1.
Partitions mixed() {
  Partitions p(2);
  p[0].resize(5);
  p[1].resize(3);
  for (int64_t c = 0; c < kClasses; ++c)
    for (int64_t e = 0; e < kExamples; ++e) {
      p[0][(c * kExamples + e) % 5].push_back({c, e});
      p[1][(c + e) % 3].push_back({c, e});
    }
  return p;
}

class Pooled : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cz-pooled-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    store_ = Store::open(write_store(dir_));
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::shared_ptr<Store> store_;
};

// (class, position) of image `i` of a set [n, 1, H, W].
std::pair<int64_t, int64_t> example_of(const Tensor& images, int64_t i) {
  const float* x = images.data<float>() + i * kSide * kSide;
  return {std::lround(x[0] * 255), std::lround(x[1] * 255)};
}

TEST_F(Pooled, EveryLabelIsOnePoolOfOnePartition) {
  const Partitions partitions = mixed();
  const PooledEpisodes source(store_, partitions, {.ways = 3, .shots = 1, .queries = 2}, 5, "test");
  std::set<size_t> partitions_seen;
  for (int64_t task = 0; task < 40; ++task) {
    const Episode e = source.sample(2, task);
    ASSERT_EQ(e.classes.size(), 3u);
    // Distinct examples, and a partition in whose pool e.classes[l] every example of label l is.
    std::set<std::pair<int64_t, int64_t>> distinct;
    auto in_partition = [&](size_t p, const Tensor& images, const Tensor& labels) {
      const std::vector<int64_t> l = labels.to_i64_vector();
      bool all = true;
      for (int64_t i = 0; i < images.size(0); ++i) {
        const auto example = example_of(images, i);
        bool in_pool = false;
        for (const ExampleRef& r : partitions[p][e.classes[l[i]]])
          in_pool = in_pool || (r.class_index == example.first && r.position == example.second);
        all = all && in_pool;
      }
      return all;
    };
    for (const Tensor* images : {&e.support, &e.query})
      for (int64_t i = 0; i < images->size(0); ++i)
        EXPECT_TRUE(distinct.insert(example_of(*images, i)).second) << "task " << task << ": an example twice";
    int found = 0;
    for (size_t p = 0; p < partitions.size(); ++p)
      if (*std::max_element(e.classes.begin(), e.classes.end()) < static_cast<int64_t>(partitions[p].size()) &&
          in_partition(p, e.support, e.support_labels) &&
          in_partition(p, e.query, e.query_labels)) {
        ++found;
        partitions_seen.insert(p);
      }
    EXPECT_GE(found, 1) << "task " << task << ": labels mix pools";
    EXPECT_EQ(e.support_labels.to_i64_vector(), (std::vector<int64_t>{0, 1, 2}));
  }
  EXPECT_EQ(partitions_seen.size(), 2u);  // both partitions are drawn
}

TEST_F(Pooled, TasksArePureFunctionsOfSeedStepAndIndex) {
  const PooledEpisodes a(store_, mixed(), {.ways = 2, .shots = 2, .queries = 1}, 8, "test");
  const PooledEpisodes b(store_, mixed(), {.ways = 2, .shots = 2, .queries = 1}, 8, "test");
  const EpisodeBatch batch = a.sample_batch(4, {7, 2});
  for (int64_t t = 0; t < 2; ++t) {
    const Episode e = b.sample(4, t == 0 ? 7 : 2);
    EXPECT_EQ(batch.support.select(0, t).to_vector(), e.support.to_vector());
    EXPECT_EQ(batch.query.select(0, t).to_vector(), e.query.to_vector());
    EXPECT_EQ(batch.query_labels.select(0, t).to_i64_vector(), e.query_labels.to_i64_vector());
  }
  EXPECT_NE(a.sample(4, 7).support.to_vector(), a.sample(5, 7).support.to_vector());
}

TEST_F(Pooled, RefusesPartitionsWithTooFewPools) {
  // Partition 1 has 3 pools of 8 examples; 4 ways cannot be drawn from it.
  try {
    const PooledEpisodes s(store_, mixed(), {.ways = 4, .shots = 1, .queries = 1}, 1, "--clusters 3");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--clusters 3: partition 1 has 3 pools of at least shots+queries = 2 examples, fewer than ways = 4");
  }
  EXPECT_THROW(PooledEpisodes(store_, {}, {}, 1, "x"), std::invalid_argument);
}

}  // namespace
