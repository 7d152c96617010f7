// Store round trips: what StoreWriter writes, Store reads back byte for byte.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "H5py.hpp"
#include "cezanne/data/Split.hpp"
#include "cezanne/data/Store.hpp"
#include "cezanne/data/StoreError.hpp"
#include "cezanne/data/StoreWriter.hpp"
#include "data/LruCache.hpp"

namespace fs = std::filesystem;
using namespace cz::data;

namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ =
        fs::temp_directory_path() / ("cz-store-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

constexpr ImageShape kShape{4, 3, 2};
constexpr int64_t kExampleBytes = 4 * 3 * 2;

/// Distinct, position-dependent bytes for class c.
std::vector<uint8_t> class_bytes(int64_t c, int64_t count) {
  std::vector<uint8_t> bytes(static_cast<size_t>(count * kExampleBytes));
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<uint8_t>((c * 37 + static_cast<int64_t>(i) * 11) % 251);
  return bytes;
}

/// 2 domains, 7 classes with 1..7 examples; class c has c+1 examples.
void write_store(const fs::path& out, StoreWriterOptions options = {}) {
  StoreWriter writer(out, kShape, {"unit-test", "StoreTest", "0.0-test", "input a\ninput b"},
                     options);
  const int32_t a = writer.add_domain("alpha", Split::train);
  const int32_t b = writer.add_domain("beta", Split::test);
  for (int64_t c = 0; c < 7; ++c) {
    const auto bytes = class_bytes(c, c + 1);
    const int64_t index =
        writer.add_class(c < 4 ? a : b, "class-" + std::to_string(c), bytes.data(), c + 1);
    EXPECT_EQ(index, c);
  }
  writer.finish();
}

}  // namespace

TEST_F(StoreTest, RoundTripGivesTheSameBytes) {
  const fs::path out = root_ / "store";
  write_store(out);
  auto store = Store::open(out);
  EXPECT_EQ(store->shape().height, 4);
  EXPECT_EQ(store->shape().width, 3);
  EXPECT_EQ(store->shape().channels, 2);
  ASSERT_EQ(store->domains().size(), 2u);
  EXPECT_EQ(store->domains()[0].name, "alpha");
  EXPECT_EQ(store->domains()[1].split, Split::test);
  ASSERT_EQ(store->classes().size(), 7u);
  for (int64_t c = 0; c < 7; ++c) {
    const ClassInfo& info = store->classes()[static_cast<size_t>(c)];
    EXPECT_EQ(info.name, "class-" + std::to_string(c));
    EXPECT_EQ(info.num_examples, c + 1);
    EXPECT_EQ(info.domain, c < 4 ? 0 : 1);
    EXPECT_EQ(info.split, c < 4 ? Split::train : Split::test);
    auto data = store->read_class(c);
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(*data, class_bytes(c, c + 1)) << "class " << c;
  }
  EXPECT_EQ(store->metadata().provenance.source, "unit-test");
  EXPECT_EQ(store->metadata().provenance.command, "StoreTest");
  EXPECT_EQ(store->metadata().provenance.code_version, "0.0-test");
  EXPECT_EQ(store->metadata().provenance.inputs, "input a\ninput b");
  EXPECT_EQ(store->metadata().split_by, "domain");
  EXPECT_EQ(store->metadata().created.size(), 20u);  // 2024-01-02T03:04:05Z
  EXPECT_EQ(store->path(), fs::absolute(out).lexically_normal());
  EXPECT_EQ(store->shards().size(), 1u);
  EXPECT_FALSE(fs::exists(out.string() + ".partial-" + std::to_string(::getpid())));
}

TEST_F(StoreTest, ManifestRecordsTheExamplesHashAndInkStatistics) {
  const fs::path out = root_ / "store";
  write_store(out);
  // The examples in class order, hashed by sha256sum; pixel sums over the image's outer ring.
  const fs::path raw = root_ / "examples.bin";
  std::ofstream file(raw, std::ios::binary);
  double all = 0, border = 0, n_all = 0, n_border = 0;
  for (int64_t c = 0; c < 7; ++c) {
    const auto bytes = class_bytes(c, c + 1);
    file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    for (size_t i = 0; i < bytes.size(); ++i) {
      const int64_t x = static_cast<int64_t>(i) / kShape.channels % kShape.width;
      const int64_t y = static_cast<int64_t>(i) / (kShape.channels * kShape.width) % kShape.height;
      all += bytes[i];
      n_all += 1;
      if (y == 0 || y == kShape.height - 1 || x == 0 || x == kShape.width - 1) {
        border += bytes[i];
        n_border += 1;
      }
    }
  }
  file.close();
  std::string sha256sum;
  ASSERT_EQ(cz::testing::run_capturing("sha256sum " + raw.string(), sha256sum), 0);
  auto store = Store::open(out);
  EXPECT_EQ(store->metadata().examples_sha256, sha256sum.substr(0, 64));
  ASSERT_TRUE(store->metadata().ink.has_value());
  EXPECT_NEAR(store->metadata().ink->pixel_mean, all / (255 * n_all), 1e-12);
  EXPECT_NEAR(store->metadata().ink->border_mean, border / (255 * n_border), 1e-12);
  EXPECT_EQ(n_border, 7 * 8 / 2 * 10 * 2);  // 10 of a 4x3 image's 12 pixels are on its ring
  EXPECT_NO_THROW(store->verify());
}

TEST_F(StoreTest, ShardsAreCutAtTheTargetSizeAndNeverSplitAClass) {
  const fs::path out = root_ / "store";
  // 6 examples per shard: classes {0,1,2} (1+2+3), {3} (4), {4} (5), {5} (6), {6} (7, alone
  // although larger).
  write_store(out, {.target_shard_bytes = 6 * kExampleBytes, .compression = 0});
  auto store = Store::open(out);
  ASSERT_EQ(store->shards().size(), 5u);
  EXPECT_EQ(store->shards()[0].name, "shard-00000.h5");
  EXPECT_EQ(store->shards()[0].num_classes, 3);
  EXPECT_EQ(store->shards()[0].num_examples, 6);
  EXPECT_EQ(store->shards()[4].name, "shard-00004.h5");
  EXPECT_EQ(store->shards()[4].first_class, 6);
  const std::vector<int32_t> expected_shard{0, 0, 0, 1, 2, 3, 4};
  for (size_t c = 0; c < 7; ++c) EXPECT_EQ(store->classes()[c].shard, expected_shard[c]);
  for (const ShardInfo& shard : store->shards()) {
    EXPECT_TRUE(fs::exists(out / shard.name));
    EXPECT_EQ(static_cast<int64_t>(fs::file_size(out / shard.name)), shard.bytes);
  }
  for (int64_t c = 0; c < 7; ++c) EXPECT_EQ(*store->read_class(c), class_bytes(c, c + 1));
}

TEST_F(StoreTest, CompressedStoreRoundTrips) {
  const fs::path out = root_ / "store";
  write_store(out, {.target_shard_bytes = 10 * kExampleBytes, .compression = 6});
  auto store = Store::open(out);
  EXPECT_EQ(store->metadata().compression, 6);
  for (int64_t c = 0; c < 7; ++c) EXPECT_EQ(*store->read_class(c), class_bytes(c, c + 1));
}

TEST_F(StoreTest, SplitQueries) {
  const fs::path out = root_ / "store";
  {
    StoreWriter writer(out, kShape, {"s", "c", "v", ""});
    const int32_t a = writer.add_domain("a", Split::train);
    const int32_t b = writer.add_domain("b", Split::train);
    const auto bytes = class_bytes(0, 2);
    writer.add_class(a, "a0", bytes.data(), 2);
    writer.add_class(a, "a1", bytes.data(), 2, Split::val);
    writer.add_class(b, "b0", bytes.data(), 2, Split::test);
    writer.add_class(b, "b1", bytes.data(), 2);
    writer.add_class(a, "a2", bytes.data(), 2, Split::test);
    writer.finish();
  }
  auto store = Store::open(out);
  EXPECT_EQ(store->metadata().split_by, "class");
  EXPECT_EQ(store->classes_in(Split::train), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(store->classes_in(Split::val), (std::vector<int64_t>{1}));
  EXPECT_EQ(store->classes_in(Split::test), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(store->classes_in(Split::test, 0), (std::vector<int64_t>{4}));
  EXPECT_EQ(store->classes_in(Split::test, 1), (std::vector<int64_t>{2}));
  EXPECT_EQ(store->domains_in(Split::train), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(store->domains_in(Split::val), (std::vector<int32_t>{0}));
  EXPECT_EQ(store->domains_in(Split::test), (std::vector<int32_t>{0, 1}));
}

TEST_F(StoreTest, CachedClassIsTheSameBufferAndCacheStaysWithinItsBudget) {
  const fs::path out = root_ / "store";
  write_store(out);
  // Room for classes of 7 + 6 examples, not for a third large one.
  auto store = Store::open(out, {.cache_bytes = 14 * kExampleBytes});
  auto first = store->read_class(6);
  EXPECT_EQ(store->read_class(6).get(), first.get());
  EXPECT_EQ(store->cached_bytes(), static_cast<size_t>(7 * kExampleBytes));
  store->read_class(5);
  EXPECT_EQ(store->cached_bytes(), static_cast<size_t>(13 * kExampleBytes));
  store->read_class(4);  // evicts class 6, the least recently used
  EXPECT_LE(store->cached_bytes(), static_cast<size_t>(14 * kExampleBytes));
  auto again = store->read_class(6);
  EXPECT_NE(again.get(), first.get());
  EXPECT_EQ(*again, *first);  // the evicted buffer stays valid for its holder
}

TEST_F(StoreTest, ConcurrentReadersGetTheRightBytes) {
  const fs::path out = root_ / "store";
  write_store(out, {.target_shard_bytes = 8 * kExampleBytes, .compression = 0});
  auto store = Store::open(out, {.cache_bytes = 10 * kExampleBytes});  // forces re-reads
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const int64_t c = (t * 3 + i * 5) % 7;
        if (*store->read_class(c) != class_bytes(c, c + 1)) ++mismatches;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(StoreTest, EveryDatasetIsChunkedWithFletcher32) {
  const fs::path out = root_ / "store";
  write_store(out, {.target_shard_bytes = 8 * kExampleBytes, .compression = 0});
  auto check = [](const fs::path& file, const char* name) {
    hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(f, 0) << file;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    ASSERT_GE(d, 0) << file << " " << name;
    hid_t dcpl = H5Dget_create_plist(d);
    EXPECT_EQ(H5Pget_layout(dcpl), H5D_CHUNKED) << file << " " << name;
    bool fletcher = false;
    for (int i = 0; i < H5Pget_nfilters(dcpl); ++i) {
      unsigned flags = 0;
      size_t n = 0;
      char fname[64];
      unsigned config = 0;
      if (H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n, nullptr, sizeof fname, fname,
                         &config) == H5Z_FILTER_FLETCHER32) {
        fletcher = true;
      }
    }
    EXPECT_TRUE(fletcher) << file << " " << name;
    H5Pclose(dcpl);
    H5Dclose(d);
    H5Fclose(f);
  };
  for (const char* name :
       {"/domains/name", "/domains/split", "/classes/name", "/classes/domain", "/classes/split",
        "/classes/num_examples", "/classes/shard", "/shards/name", "/shards/first_class",
        "/shards/num_classes", "/shards/num_examples", "/shards/bytes"}) {
    check(out / "manifest.h5", name);
  }
  check(out / "shard-00000.h5", "/examples");
  check(out / "shard-00000.h5", "/class_offsets");
  // The chunk holds one class: classes 0..2 (1, 2, 3 examples) -> 3 rows.
  hid_t f = H5Fopen((out / "shard-00000.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "/examples", H5P_DEFAULT);
  hid_t dcpl = H5Dget_create_plist(d);
  hsize_t chunk[4] = {};
  ASSERT_EQ(H5Pget_chunk(dcpl, 4, chunk), 4);
  EXPECT_EQ(chunk[0], 3u);
  EXPECT_EQ(chunk[1], 4u);
  EXPECT_EQ(chunk[3], 2u);
  H5Pclose(dcpl);
  H5Dclose(d);
  H5Fclose(f);
}

TEST_F(StoreTest, ReadableWithH5py) {
  const std::string python = cz::testing::python_with_h5py();
  if (python.empty()) GTEST_SKIP() << "no python3 with h5py";
  const fs::path out = root_ / "store";
  write_store(out, {.target_shard_bytes = 8 * kExampleBytes, .compression = 0});
  // The snippet of docs/store.md: read class k without cezanne.
  const fs::path script = root_ / "read.py";
  std::ofstream(script) << R"(import sys, h5py
store, k = sys.argv[1], int(sys.argv[2])
with h5py.File(f"{store}/manifest.h5", "r") as m:
    shard = m["shards/name"][m["classes/shard"][k]].decode()
    first = m["shards/first_class"][m["classes/shard"][k]]
    name = m["classes/name"][k].decode()
with h5py.File(f"{store}/{shard}", "r") as s:
    lo, hi = s["class_offsets"][k - first], s["class_offsets"][k - first + 1]
    x = s["examples"][lo:hi]
sys.stdout.buffer.write(name.encode() + b"\n" + x.tobytes())
)";
  for (int64_t k : {0, 4, 6}) {
    const std::string command =
        python + " " + script.string() + " " + out.string() + " " + std::to_string(k);
    std::string output;
    ASSERT_EQ(cz::testing::run_capturing(command, output), 0);
    const auto newline = output.find('\n');
    ASSERT_NE(newline, std::string::npos);
    EXPECT_EQ(output.substr(0, newline), "class-" + std::to_string(k));
    const auto expected = class_bytes(k, k + 1);
    EXPECT_EQ(output.substr(newline + 1), std::string(expected.begin(), expected.end()));
  }
}

// Examples are bytes (b / 255 in [0, 1] to every reader, the VAE's Bernoulli likelihood
// included): a shard whose /examples holds floats or signed bytes, which HDF5 would convert to
// uint8 silently, is refused when the store opens.
TEST_F(StoreTest, ExamplesOfAnotherTypeAreRefused) {
  for (const hid_t stored : {H5T_IEEE_F32LE, H5T_STD_I8LE}) {
    const fs::path out = root_ / ("store-" + std::to_string(H5Tget_size(stored)));
    write_store(out);
    const fs::path shard = out / "shard-00000.h5";
    hid_t f = H5Fopen(shard.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/examples", H5P_DEFAULT);
    hid_t space = H5Dget_space(d);
    H5Dclose(d);
    ASSERT_GE(H5Ldelete(f, "/examples", H5P_DEFAULT), 0);
    hid_t replaced = H5Dcreate2(f, "/examples", stored, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(replaced, 0);
    H5Dclose(replaced);
    H5Sclose(space);
    H5Fclose(f);
    try {
      Store::open(out);
      FAIL() << "no error";
    } catch (const StoreError& e) {
      EXPECT_EQ(std::string(e.what()), shard.string() + ": /examples: not uint8");
    }
  }
}

TEST_F(StoreTest, WriterRefusesAnExistingOutput) {
  fs::create_directories(root_ / "exists");
  try {
    StoreWriter writer(root_ / "exists", kShape, {});
    FAIL() << "no error";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("exists"), std::string::npos) << e.what();
  }
}

TEST_F(StoreTest, UnfinishedWriterLeavesNothingAndPartialIsNotAStore) {
  const fs::path out = root_ / "store";
  fs::path partial;
  {
    StoreWriter writer(out, kShape, {}, {.target_shard_bytes = kExampleBytes, .compression = 0});
    partial = writer.partial_path();
    const int32_t d = writer.add_domain("d", Split::train);
    const auto bytes = class_bytes(0, 2);
    writer.add_class(d, "x", bytes.data(), 2);
    writer.add_class(d, "y", bytes.data(), 2);  // flushes shard 0
    EXPECT_EQ(partial.filename().string(), "store.partial-" + std::to_string(::getpid()));
    EXPECT_TRUE(fs::exists(partial / "shard-00000.h5"));
    EXPECT_FALSE(fs::exists(out));
    try {
      Store::open(partial);
      FAIL() << "opened a partial store";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("(no manifest.h5)"), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(StoreTest, WriterRejectsMisuse) {
  StoreWriter writer(root_ / "store", kShape, {});
  const auto bytes = class_bytes(0, 1);
  EXPECT_THROW(writer.add_class(0, "no domain", bytes.data(), 1), StoreError);
  const int32_t d = writer.add_domain("d", Split::train);
  EXPECT_THROW(writer.add_class(d, "empty", bytes.data(), 0), StoreError);
  EXPECT_THROW(writer.finish(), StoreError);  // no classes
  EXPECT_THROW(StoreWriter(root_ / "bad", {0, 1, 1}, {}), StoreError);
}

TEST(SplitTest, NamesRoundTrip) {
  for (Split s : {Split::train, Split::val, Split::test}) EXPECT_EQ(parse_split(split_name(s)), s);
  EXPECT_THROW(parse_split("training"), StoreError);
  EXPECT_EQ(parse_split_by("class"), SplitBy::class_);
  EXPECT_THROW(parse_split_by("rows"), StoreError);
}

TEST(SplitTest, AssignSplitsCountsAndDeterminism) {
  const auto splits = assign_splits(30, {.val = 0.2, .test = 0.2, .seed = 7});
  ASSERT_EQ(splits.size(), 30u);
  EXPECT_EQ(std::count(splits.begin(), splits.end(), Split::val), 6);
  EXPECT_EQ(std::count(splits.begin(), splits.end(), Split::test), 6);
  EXPECT_EQ(assign_splits(30, {.val = 0.2, .test = 0.2, .seed = 7}), splits);
  EXPECT_NE(assign_splits(30, {.val = 0.2, .test = 0.2, .seed = 8}), splits);
  // Small counts: every requested split gets one unit and train keeps one.
  const auto three = assign_splits(3, {.val = 0.1, .test = 0.1, .seed = 0});
  EXPECT_EQ(std::count(three.begin(), three.end(), Split::train), 1);
  EXPECT_EQ(std::count(three.begin(), three.end(), Split::val), 1);
  const auto one = assign_splits(1, {.val = 0.4, .test = 0.4, .seed = 0});
  EXPECT_EQ(one, std::vector<Split>{Split::train});
  EXPECT_THROW(assign_splits(10, {.val = 0.6, .test = 0.5, .seed = 0}), StoreError);
}

TEST(SplitTest, AFractionOfOnePutsEveryUnitInThatSplit) {
  EXPECT_EQ(assign_splits(4, {.val = 0, .test = 1, .seed = 3}), std::vector<Split>(4, Split::test));
  EXPECT_EQ(assign_splits(2, {.val = 1, .test = 0, .seed = 3}), std::vector<Split>(2, Split::val));
  EXPECT_EQ(whole_split({.val = 0, .test = 1, .seed = 0}), Split::test);
  EXPECT_EQ(whole_split({.val = 0.2, .test = 0.2, .seed = 0}), std::nullopt);
  try {
    assign_splits(4, {.val = 0.5, .test = 1, .seed = 0});
    FAIL() << "val 0.5 with test 1 was accepted";
  } catch (const StoreError& e) {
    EXPECT_STREQ(e.what(),
                 "split fractions must be in [0, 1) and sum to less than 1, or one of them 1 and "
                 "the other 0 (val 0.500000, test 1.000000)");
  }
}

TEST(LruCacheTest, EvictsLeastRecentlyUsedByBytes) {
  cz::data::detail::LruCache<int, int> cache(10);
  cache.put(1, std::make_shared<int>(1), 4);
  cache.put(2, std::make_shared<int>(2), 4);
  ASSERT_NE(cache.get(1), nullptr);  // 1 is now most recent
  cache.put(3, std::make_shared<int>(3), 4);
  EXPECT_EQ(cache.get(2), nullptr);
  EXPECT_NE(cache.get(1), nullptr);
  EXPECT_NE(cache.get(3), nullptr);
  EXPECT_EQ(cache.size_bytes(), 8u);
  cache.put(4, std::make_shared<int>(4), 11);  // larger than the cache: not kept
  EXPECT_EQ(cache.get(4), nullptr);
  EXPECT_EQ(cache.entries(), 2u);
}
