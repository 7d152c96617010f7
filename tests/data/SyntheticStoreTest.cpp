// prepare synthetic: the store-at-scale data, and the store reading more shards than it keeps open.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "cezanne/data/Store.hpp"
#include "cezanne/data/SyntheticStore.hpp"
#include "cezanne/tensor/Random.hpp"

namespace fs = std::filesystem;
using namespace cz::data;

namespace {

class SyntheticStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() / ("cz-synthetic-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // 600 classes of 3 examples 6x6 in 7 domains, ~1 KiB shards: 600 * 108 bytes over ~64 shards.
  std::shared_ptr<Store> write(const std::string& name, uint64_t seed = 5) {
    SyntheticStoreOptions options;
    options.classes = 600;
    options.examples = 3;
    options.size = 6;
    options.domains = 7;
    options.fractions = {.val = 0.25, .test = 0.25, .seed = seed};
    const Provenance provenance{"synthetic", "test", "0", ""};
    const ImportStats stats = prepare_synthetic(root_ / name, options, provenance, {.target_shard_bytes = 1024});
    EXPECT_EQ(stats.classes, 600);
    EXPECT_EQ(stats.examples, 1800);
    EXPECT_EQ(stats.domains, 7);
    return Store::open(root_ / name);
  }
  fs::path root_;
};

int differing_pixels(const std::vector<uint8_t>& a, size_t ia, const std::vector<uint8_t>& b, size_t ib) {
  int n = 0;
  for (size_t p = 0; p < 36; ++p) n += a[ia * 36 + p] != b[ib * 36 + p];
  return n;
}

}  // namespace

TEST_F(SyntheticStoreTest, ClassesAreTemplatesWithAFewPixelsFlippedPerExample) {
  auto store = write("s");
  EXPECT_EQ(store->shape().height, 6);
  EXPECT_EQ(store->shape().channels, 1);
  EXPECT_GE(store->shards().size(), 50u);
  EXPECT_EQ(store->classes_in(Split::val).size(), 150u);
  EXPECT_EQ(store->classes_in(Split::test).size(), 150u);
  EXPECT_EQ(store->classes()[0].name, "class-000");
  EXPECT_EQ(store->domains()[6].name, "domain-006");
  for (int64_t c = 0; c < 600; ++c)  // consecutive classes per domain
    EXPECT_EQ(store->classes()[static_cast<size_t>(c)].domain, c * 7 / 600);
  const auto a = store->read_class(10), b = store->read_class(11);
  for (uint8_t v : *a) EXPECT_TRUE(v == 0 || v == 255);
  // Each example flips at most 3 pixels of the template: two examples differ in at most 6, while
  // two classes' random templates differ in about half of the 36.
  EXPECT_LE(differing_pixels(*a, 0, *a, 1), 6);
  EXPECT_LE(differing_pixels(*a, 1, *a, 2), 6);
  EXPECT_GE(differing_pixels(*a, 0, *b, 0), 8);
}

TEST_F(SyntheticStoreTest, TheSameOptionsWriteTheSameStoreAndAnotherSeedAnother) {
  const std::string first = write("a")->metadata().examples_sha256;
  EXPECT_EQ(write("b")->metadata().examples_sha256, first);
  EXPECT_NE(write("c", 6)->metadata().examples_sha256, first);
}

TEST_F(SyntheticStoreTest, RefusesBadSizes) {
  SyntheticStoreOptions options;
  options.classes = 3;
  options.domains = 4;
  try {
    prepare_synthetic(root_ / "x", options, {});
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--domains 4 exceeds --classes 3");
  }
  options.domains = 1;
  options.size = 0;
  EXPECT_THROW(prepare_synthetic(root_ / "x", options, {}), std::invalid_argument);
  EXPECT_FALSE(fs::exists(root_ / "x"));
}

// The store keeps at most half the file-descriptor limit of shards open (at least 16): with the
// limit at 40, reading 600 classes of ~64 shards in a random order, twice, evicts and reopens
// shards all along, and every class still reads back its own bytes.
TEST_F(SyntheticStoreTest, ReadsMoreShardsThanItKeepsOpen) {
  auto store = write("s");
  std::vector<std::vector<uint8_t>> expected;
  for (int64_t c = 0; c < 600; ++c) expected.push_back(*store->read_class(c));
  store.reset();  // closes its shards
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 40;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  {
    auto small = Store::open(root_ / "s", {.cache_bytes = 0});  // no class cache: every read hits a shard
    cz::CounterRng rng(7);
    for (int pass = 0; pass < 2; ++pass)
      for (int64_t k = 0; k < 600; ++k) {
        const auto c = static_cast<int64_t>(rng.below(600));
        ASSERT_EQ(*small->read_class(c), expected[static_cast<size_t>(c)]) << "class " << c;
      }
  }
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
}
