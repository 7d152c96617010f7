// Bad stores: each is one clear StoreError naming the file and object, never a crash or a hang.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "cezanne/data/Store.hpp"
#include "cezanne/data/StoreError.hpp"
#include "cezanne/data/StoreWriter.hpp"

namespace fs = std::filesystem;
using namespace cz::data;
using ::testing::HasSubstr;

namespace {

constexpr ImageShape kShape{8, 8, 1};
constexpr int64_t kExampleBytes = 64;
constexpr int64_t kPerClass = 4;

/// Class c: pseudo-random bytes, so a 32-byte run identifies one place in a shard.
std::vector<uint8_t> class_bytes(int64_t c) {
  std::vector<uint8_t> bytes(static_cast<size_t>(kPerClass * kExampleBytes));
  std::mt19937 rng(static_cast<uint32_t>(1000 + c));  // no run of one class recurs in another
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

std::vector<char> slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Flips one byte of the first occurrence of `pattern` in `file`; false if not found.
bool flip_byte_of(const fs::path& file, const std::vector<char>& pattern, size_t at) {
  auto bytes = slurp(file);
  auto it = std::search(bytes.begin(), bytes.end(), pattern.begin(), pattern.end());
  if (it == bytes.end()) return false;
  const auto pos =
      static_cast<std::streamoff>(it - bytes.begin()) + static_cast<std::streamoff>(at);
  std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
  io.seekp(pos);
  const char flipped = static_cast<char>(bytes[static_cast<size_t>(pos)] ^ 0x5A);
  io.write(&flipped, 1);
  return true;
}

std::string store_id(const fs::path& dir) { return Store::open(dir)->metadata().store_id; }

std::string open_error(const fs::path& dir) {
  try {
    Store::open(dir);
  } catch (const StoreError& e) {
    return e.what();
  }
  return "(no error)";
}

class StoreErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("cz-storeerr-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    store_ = root_ / "store";
    // 4 classes of 4 examples, two per shard: shard-00000.h5 = {c0, c1}, shard-00001.h5 = {c2, c3}.
    write_store(store_, 0);
  }
  /// 4 classes of 4 examples, two per shard: shard-00000.h5 = {c0, c1}, shard-00001.h5 = {c2,
  /// c3}; class c holds class_bytes(c + first).
  static void write_store(const fs::path& out, int64_t first) {
    StoreWriter writer(out, kShape, {"test", "StoreErrorsTest", "0", ""},
                       {.target_shard_bytes = 2 * kPerClass * kExampleBytes, .compression = 0});
    const int32_t d = writer.add_domain("d", Split::train);
    for (int64_t c = 0; c < 4; ++c) {
      const auto bytes = class_bytes(c + first);
      std::string name = "c";
      name += std::to_string(c);
      writer.add_class(d, c == 1 ? "zebra-unique-name" : name, bytes.data(), kPerClass);
    }
    writer.finish();
  }
  void TearDown() override { fs::remove_all(root_); }

  /// Rewrites element `index` of an int64 dataset of the manifest through the HDF5 API.
  void edit_manifest(const char* dataset, hsize_t index, int64_t value) {
    const std::string file = (store_ / "manifest.h5").string();
    hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    hid_t d = H5Dopen2(f, dataset, H5P_DEFAULT);
    ASSERT_GE(d, 0);
    hid_t space = H5Dget_space(d);
    const hsize_t count = 1;
    H5Sselect_hyperslab(space, H5S_SELECT_SET, &index, nullptr, &count, nullptr);
    hid_t mem = H5Screate_simple(1, &count, nullptr);
    ASSERT_GE(H5Dwrite(d, H5T_NATIVE_INT64, mem, space, H5P_DEFAULT, &value), 0);
    H5Sclose(mem);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
  }

  fs::path root_, store_;
};

}  // namespace

TEST_F(StoreErrorsTest, IntactStoreOpensAndVerifies) {
  auto store = Store::open(store_);
  EXPECT_EQ(store->verify(), 12 + 2 * 2);  // 12 manifest datasets, 2 per shard
  EXPECT_EQ(*store->read_class(3), class_bytes(3));
}

TEST_F(StoreErrorsTest, DirectoryWithoutManifestIsNotAStore) {
  fs::create_directories(root_ / "plain");
  std::ofstream(root_ / "plain" / "notes.txt") << "hello";
  EXPECT_EQ(open_error(root_ / "plain"),
            "not a cezanne store: " + (root_ / "plain").string() + " (no manifest.h5)");
  EXPECT_THAT(open_error(root_ / "nowhere"), HasSubstr("(does not exist)"));
  EXPECT_THAT(open_error(store_ / "manifest.h5"), HasSubstr("(not a directory)"));
}

TEST_F(StoreErrorsTest, ManifestThatIsNotHdf5NamesTheFile) {
  fs::create_directories(root_ / "fake");
  std::ofstream(root_ / "fake" / "manifest.h5") << "this is not HDF5";
  const std::string error = open_error(root_ / "fake");
  EXPECT_THAT(error, HasSubstr((root_ / "fake" / "manifest.h5").string()));
  EXPECT_THAT(error, HasSubstr("H5Fopen failed"));
}

TEST_F(StoreErrorsTest, Hdf5FileWithoutFormatAttributeIsNotAStore) {
  fs::create_directories(root_ / "other");
  hid_t f =
      H5Fcreate((root_ / "other" / "manifest.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);
  EXPECT_THAT(open_error(root_ / "other"), HasSubstr("not a cezanne store"));
}

TEST_F(StoreErrorsTest, MissingShard) {
  fs::remove(store_ / "shard-00001.h5");
  const std::string error = open_error(store_);
  EXPECT_THAT(error, HasSubstr((store_ / "shard-00001.h5").string() + ": missing shard"));
  EXPECT_THAT(error, HasSubstr("classes 2..3"));
}

TEST_F(StoreErrorsTest, TruncatedShard) {
  const fs::path shard = store_ / "shard-00001.h5";
  fs::resize_file(shard, fs::file_size(shard) / 2);
  const std::string error = open_error(store_);
  EXPECT_THAT(error, HasSubstr(shard.string() + ": file is"));
  EXPECT_THAT(error, HasSubstr("(truncated or replaced)"));
}

TEST_F(StoreErrorsTest, FlippedByteInExamplesFailsTheChecksumOfThatClassOnly) {
  const auto c3 = class_bytes(3);
  ASSERT_TRUE(
      flip_byte_of(store_ / "shard-00001.h5", std::vector<char>(c3.begin(), c3.begin() + 32), 5));
  auto store = Store::open(store_);  // sizes and metadata are intact
  try {
    store->read_class(3);
    FAIL() << "no checksum error";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(),
                HasSubstr((store_ / "shard-00001.h5").string() +
                          ": /examples: checksum mismatch or corrupt data (class 3 'c3')"));
  }
  // A chunk holds one class, so the neighbours in the same shard still read.
  EXPECT_EQ(*store->read_class(2), class_bytes(2));
  EXPECT_EQ(*store->read_class(0), class_bytes(0));
  try {
    store->verify();
    FAIL() << "verify found nothing";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("shard-00001.h5: /examples: checksum mismatch"));
  }
}

TEST_F(StoreErrorsTest, FlippedByteInManifestNamesTheDataset) {
  const std::string name = "zebra-unique-name";
  ASSERT_TRUE(flip_byte_of(store_ / "manifest.h5", std::vector<char>(name.begin(), name.end()), 3));
  const std::string error = open_error(store_);
  EXPECT_THAT(error, HasSubstr((store_ / "manifest.h5").string() + ": /classes/name"));
  EXPECT_THAT(error, HasSubstr("checksum mismatch or corrupt data"));
}

TEST_F(StoreErrorsTest, ManifestDisagreeingWithShardClassOffsets) {
  // A self-consistent manifest (class 3 and its shard both lose one example) that the shard
  // contradicts.
  edit_manifest("/classes/num_examples", 3, kPerClass - 1);
  edit_manifest("/shards/num_examples", 1, 2 * kPerClass - 1);
  EXPECT_THAT(open_error(store_),
              HasSubstr((store_ / "shard-00001.h5").string() +
                        ": /class_offsets: class 3 'c3' has 4 examples but manifest.h5 says 3"));
}

TEST_F(StoreErrorsTest, ManifestDisagreeingWithItself) {
  edit_manifest("/classes/num_examples", 3, kPerClass - 1);
  EXPECT_THAT(open_error(store_),
              HasSubstr("manifest.h5: /shards/num_examples disagrees with /classes/num_examples"));
}

TEST_F(StoreErrorsTest, ShardReplacedByAnotherStoresShard) {
  // Same name, different content (one class instead of two), size made to agree: the shard
  // carries the other store's identity.
  const fs::path other = root_ / "other";
  {
    StoreWriter writer(other, kShape, {});
    const int32_t d = writer.add_domain("d", Split::train);
    const auto bytes = class_bytes(0);
    writer.add_class(d, "only", bytes.data(), kPerClass);
    writer.finish();
  }
  const std::string mine = store_id(store_), theirs = store_id(other);
  fs::copy_file(other / "shard-00000.h5", store_ / "shard-00001.h5",
                fs::copy_options::overwrite_existing);
  edit_manifest("/shards/bytes", 1, static_cast<int64_t>(fs::file_size(store_ / "shard-00001.h5")));
  ASSERT_EQ(mine.size(), 32u);
  ASSERT_NE(mine, theirs);
  EXPECT_EQ(open_error(store_), (store_ / "shard-00001.h5").string() + ": belongs to store " +
                                    theirs + ", not to this one (" + mine +
                                    "): a shard of another store?");
}

TEST_F(StoreErrorsTest, ShardOfAnotherStoreOfTheSameLayoutIsRefusedAtOpen) {
  // Same classes per shard, offsets and size: only the store id tells the shards apart.
  const fs::path other = root_ / "other";
  write_store(other, 10);
  const std::string mine = store_id(store_);
  fs::copy_file(other / "shard-00001.h5", store_ / "shard-00001.h5",
                fs::copy_options::overwrite_existing);
  EXPECT_EQ(open_error(store_), (store_ / "shard-00001.h5").string() + ": belongs to store " +
                                    store_id(other) + ", not to this one (" + mine +
                                    "): a shard of another store?");
}

TEST_F(StoreErrorsTest, ManifestOfAnotherStoreOfTheSameLayoutIsRefusedAtOpen) {
  const fs::path other = root_ / "other";
  write_store(other, 10);
  const std::string mine = store_id(store_), theirs = store_id(other);
  fs::copy_file(other / "manifest.h5", store_ / "manifest.h5", fs::copy_options::overwrite_existing);
  EXPECT_EQ(open_error(store_), (store_ / "shard-00000.h5").string() + ": belongs to store " +
                                    mine + ", not to this one (" + theirs +
                                    "): a shard of another store?");
}

TEST_F(StoreErrorsTest, ExamplesRewrittenInPlaceFailVerification) {
  // Rewritten through HDF5, so every Fletcher32 checksum is valid: the examples' hash is not.
  const std::string shard = (store_ / "shard-00001.h5").string();
  hid_t f = H5Fopen(shard.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  hid_t d = H5Dopen2(f, "/examples", H5P_DEFAULT);
  ASSERT_GE(d, 0);
  const std::vector<uint8_t> zeros(kExampleBytes * 2 * kPerClass, 0);
  ASSERT_GE(H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data()), 0);
  H5Dclose(d);
  H5Fclose(f);
  auto store = Store::open(store_);
  EXPECT_EQ(*store->read_class(2), std::vector<uint8_t>(kExampleBytes * kPerClass, 0));
  try {
    store->verify();
    FAIL() << "verify() accepted rewritten examples";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith((store_ / "manifest.h5").string() +
                                                ": the shards' examples hash to "));
    EXPECT_THAT(e.what(), HasSubstr("recorded (a shard of another store?)"));
  }
}

TEST_F(StoreErrorsTest, DamagedManifestAttributeFailsItsChecksum) {
  ASSERT_TRUE(flip_byte_of(store_ / "manifest.h5", {'S', 't', 'o', 'r', 'e', 'E', 'r', 'r'}, 2));
  EXPECT_EQ(open_error(store_), (store_ / "manifest.h5").string() +
                                    ": attributes do not match their checksum attributes_sha256 "
                                    "(damaged or edited manifest)");
}

TEST_F(StoreErrorsTest, ClassIndexOutOfRange) {
  auto store = Store::open(store_);
  EXPECT_THROW(store->read_class(4), StoreError);
  EXPECT_THROW(store->read_class(-1), StoreError);
}
