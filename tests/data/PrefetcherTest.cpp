// Prefetcher: same batches as direct sampling, in order; clean shutdown; worker errors rethrown.
#include "cezanne/data/Prefetcher.hpp"
#include "cezanne/data/EpisodeSampler.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cezanne/data/Store.hpp"
#include "cezanne/data/StoreError.hpp"
#include "cezanne/data/StoreWriter.hpp"
#include "cezanne/dist/TaskPartition.hpp"

namespace fs = std::filesystem;
using namespace cz;
using namespace cz::data;

namespace {

constexpr int64_t kSide = 8;
constexpr int64_t kPixels = kSide * kSide;
constexpr int kClasses = 6, kExamples = 10;

// 6 train classes of 10 images 8x8x1; every image is distinct (bytes encode class and example).
fs::path write_store(const fs::path& dir) {
  StoreWriter writer(dir, {kSide, kSide, 1}, {"test", "PrefetcherTest", ""});
  const int32_t d = writer.add_domain("d", Split::train);
  std::vector<uint8_t> bytes(kExamples * kPixels);
  for (int c = 0; c < kClasses; ++c) {
    for (int e = 0; e < kExamples; ++e)
      for (int64_t i = 0; i < kPixels; ++i)
        bytes[e * kPixels + i] = static_cast<uint8_t>(c * 41 + e * 7 + i * 3 + 1);
    writer.add_class(d, std::string("c").append(std::to_string(c)), bytes.data(), kExamples);
  }
  writer.finish();
  return dir;
}

template <class T>
std::vector<T> values(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

void expect_same(const EpisodeBatch& a, const EpisodeBatch& b) {
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.task_indices, b.task_indices);
  EXPECT_EQ(a.support.shape(), b.support.shape());
  EXPECT_EQ(values<float>(a.support), values<float>(b.support));
  EXPECT_EQ(values<float>(a.query), values<float>(b.query));
  EXPECT_EQ(values<int64_t>(a.support_labels), values<int64_t>(b.support_labels));
  EXPECT_EQ(values<int64_t>(a.query_labels), values<int64_t>(b.query_labels));
}

class PrefetcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("cezanne-prefetcher-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    store_path_ = write_store(root_ / "store");
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static std::shared_ptr<const EpisodeSampler> sampler(const fs::path& dir,
                                                       EpisodeSpec spec = {3, 2, 3}) {
    return std::make_shared<const EpisodeSampler>(Store::open(dir), Split::train, spec, 77);
  }

  static fs::path root_, store_path_;
};
fs::path PrefetcherTest::root_, PrefetcherTest::store_path_;

TEST_F(PrefetcherTest, ReturnsTheDirectBatchesInOrder) {
  const auto direct = sampler(store_path_);
  for (int threads : {1, 3})
    for (int depth : {1, 2, 5}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + " depth " + std::to_string(depth));
      const std::vector<int64_t> tasks = owned_tasks(8, 1, 3);  // {3, 4, 5}
      Prefetcher prefetcher(sampler(store_path_), tasks, 10, depth, threads);
      for (int64_t step = 10; step < 30; ++step) {
        EXPECT_EQ(prefetcher.next_step(), step);
        expect_same(prefetcher.next(), direct->sample_batch(step, tasks));
      }
    }
}

TEST_F(PrefetcherTest, DestructorJoinsWhileTheQueueIsFull) {
  for (int threads : {1, 4}) {
    auto start = std::chrono::steady_clock::now();
    {
      Prefetcher prefetcher(sampler(store_path_), {0, 1, 2, 3}, 0, 2, threads);
      prefetcher.next();
      // Let the workers fill the queue and block on it.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    {
      Prefetcher never_read(sampler(store_path_), {0, 1}, 0, 3, threads);  // destroyed at once
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  }
}

TEST_F(PrefetcherTest, RejectsBadArguments) {
  EXPECT_THROW(Prefetcher(sampler(store_path_), {0}, 0, 0, 1), std::invalid_argument);
  EXPECT_THROW(Prefetcher(sampler(store_path_), {0}, 0, 2, 0), std::invalid_argument);
  EXPECT_THROW(Prefetcher(nullptr, {0}, 0), std::invalid_argument);
}

// Flips one byte of the first image of class `c` in its shard, so reading it fails its checksum.
void corrupt_class(const fs::path& dir, int64_t c) {
  auto store = Store::open(dir);
  const auto image = *store->read_class(c);
  const fs::path shard = dir / store->shards()[store->classes()[c].shard].name;
  store.reset();
  std::vector<char> file;
  {
    std::ifstream in(shard, std::ios::binary);
    file.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = std::search(file.begin(), file.end(), image.begin(), image.begin() + kPixels,
                              [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; });
  ASSERT_NE(at, file.end()) << "image bytes of class " << c << " not found in " << shard;
  *(at + kPixels / 2) ^= 0x5a;
  std::ofstream out(shard, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(at - file.begin() + kPixels / 2);
  out.put(*(at + kPixels / 2));
}

TEST_F(PrefetcherTest, RethrowsAWorkersException) {
  const fs::path bad = root_ / "corrupt";
  write_store(bad);
  corrupt_class(bad, 4);
  // Which classes the corruption reaches (a chunk may hold more than one class).
  std::set<int64_t> unreadable;
  {
    auto store = Store::open(bad);
    for (int64_t c = 0; c < kClasses; ++c) try {
        store->read_class(c);
      } catch (const StoreError&) {
        unreadable.insert(c);
      }
  }
  ASSERT_TRUE(unreadable.count(4)) << "corrupting class 4 went unnoticed";
  ASSERT_LT(unreadable.size(), static_cast<size_t>(kClasses));

  // Episodes depend only on the class sizes, so a clean store tells which steps touch them.
  const std::vector<int64_t> tasks = {0, 1};
  const EpisodeSpec spec{2, 1, 1};
  const auto clean = sampler(store_path_, spec);
  int64_t first_bad = -1;
  for (int64_t step = 0; first_bad < 0; ++step)
    for (int64_t t : tasks)
      for (int64_t c : clean->sample(step, t).classes)
        if (unreadable.count(c)) first_bad = step;
  for (int threads : {1, 3}) {
    Prefetcher prefetcher(sampler(bad, spec), tasks, 0, 3, threads);
    for (int64_t step = 0; step < first_bad; ++step)
      expect_same(prefetcher.next(), clean->sample_batch(step, tasks));
    EXPECT_THROW(prefetcher.next(), StoreError);
    EXPECT_THROW(prefetcher.next(), StoreError);  // and again: the failed step is not skipped
    EXPECT_EQ(prefetcher.next_step(), first_bad);
  }
}

}  // namespace
