// IDX reading (raw and gzip), its errors, and the idx importer on fixtures made here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cezanne/data/Idx.hpp"
#include "cezanne/data/Store.hpp"
#include "cezanne/data/StoreError.hpp"

namespace fs = std::filesystem;
using namespace cz::data;
using ::testing::HasSubstr;

namespace {

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ =
        fs::temp_directory_path() / ("cz-idx-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  /// 12 images of 3x2 with labels 2,0,1,2,0,1,... ; pixel = 10*index + position.
  void write_fixture(bool gzip) {
    IdxArray images{{12, 3, 2}, {}}, labels{{12}, {}};
    for (int i = 0; i < 12; ++i) {
      for (int p = 0; p < 6; ++p) images.data.push_back(static_cast<uint8_t>(10 * i + p));
      labels.data.push_back(static_cast<uint8_t>((i + 2) % 3));
    }
    images_ = root_ / (gzip ? "images.idx.gz" : "images.idx");
    labels_ = root_ / (gzip ? "labels.idx.gz" : "labels.idx");
    write_idx(images_, images, gzip);
    write_idx(labels_, labels, gzip);
  }

  std::string error_of(const fs::path& file) {
    try {
      read_idx(file);
    } catch (const StoreError& e) {
      return e.what();
    }
    return "(no error)";
  }

  fs::path root_, images_, labels_;
};

std::vector<uint8_t> bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_F(IdxTest, RawFileHasTheMnistHeader) {
  write_fixture(false);
  const auto bytes = bytes_of(images_);
  ASSERT_EQ(bytes.size(), 4u + 3 * 4 + 72);
  EXPECT_EQ((std::vector<uint8_t>(bytes.begin(), bytes.begin() + 8)),
            (std::vector<uint8_t>{0, 0, 8, 3, 0, 0, 0, 12}));
  const IdxArray read = read_idx(images_);
  EXPECT_EQ(read.dims, (std::vector<int64_t>{12, 3, 2}));
  EXPECT_EQ(read.data[6 * 5 + 1], 51);
}

TEST_F(IdxTest, GzipFileReadsTheSame) {
  write_fixture(true);
  const auto bytes = bytes_of(images_);
  ASSERT_GE(bytes.size(), 2u);
  EXPECT_EQ(bytes[0], 0x1f);
  EXPECT_EQ(bytes[1], 0x8b);
  const IdxArray read = read_idx(images_);
  EXPECT_EQ(read.dims, (std::vector<int64_t>{12, 3, 2}));
  ASSERT_EQ(read.data.size(), 72u);
  for (size_t i = 0; i < 72; ++i) EXPECT_EQ(read.data[i], (i / 6) * 10 + i % 6);
}

TEST_F(IdxTest, WrongMagicNumberNamesTheFile) {
  const fs::path bad = root_ / "bad.idx";
  std::ofstream(bad, std::ios::binary) << std::string("\x12\x34\x56\x78 and more", 13);
  EXPECT_EQ(error_of(bad),
            bad.string() + ": not an IDX file (magic number 0x12345678, expected 0x0000TTDD)");
}

TEST_F(IdxTest, OtherErrorsNameTheFile) {
  write_fixture(false);
  // Truncated body.
  const fs::path truncated = root_ / "truncated.idx";
  fs::copy_file(images_, truncated);
  fs::resize_file(truncated, 30);
  EXPECT_EQ(error_of(truncated),
            truncated.string() + ": truncated: the header promises 72 bytes of data");
  // Float IDX (type 0x0d).
  const fs::path floats = root_ / "floats.idx";
  std::ofstream(floats, std::ios::binary)
      << std::string("\x00\x00\x0d\x01\x00\x00\x00\x01\x00\x00\x00\x00", 12);
  EXPECT_THAT(error_of(floats),
              HasSubstr(floats.string() + ": IDX type 0x0d is not unsigned byte"));
  EXPECT_EQ(error_of(root_ / "absent.idx"), (root_ / "absent.idx").string() + ": no such IDX file");
  // A gzip stream cut short.
  write_fixture(true);
  const fs::path cut = root_ / "cut.idx.gz";
  fs::copy_file(images_, cut);
  fs::resize_file(cut, fs::file_size(cut) - 12);
  EXPECT_THAT(error_of(cut), HasSubstr(cut.string() + ": "));
}

TEST_F(IdxTest, PrepareGroupsExamplesByLabel) {
  for (bool gzip : {false, true}) {
    write_fixture(gzip);
    const fs::path out = root_ / (gzip ? "store-gz" : "store-raw");
    IdxImportOptions options;
    options.images = images_;
    options.labels = labels_;
    options.class_names = {"zero", "one", "two"};
    options.fractions = {.val = 0, .test = 0.34, .seed = 1};
    const ImportStats stats = prepare_idx(out, options, {"idx", "test", "0"});
    EXPECT_EQ(stats.classes, 3);
    EXPECT_EQ(stats.examples, 12);
    auto store = Store::open(out);
    EXPECT_EQ(store->shape().height, 3);
    EXPECT_EQ(store->shape().width, 2);
    EXPECT_EQ(store->shape().channels, 1);
    ASSERT_EQ(store->domains().size(), 1u);
    EXPECT_EQ(store->domains()[0].name, "images.idx");  // ".gz" dropped
    ASSERT_EQ(store->classes().size(), 3u);
    EXPECT_EQ(store->classes()[0].name, "zero");
    EXPECT_EQ(store->classes()[2].name, "two");
    EXPECT_EQ(store->metadata().split_by, "class");
    EXPECT_EQ(store->classes_in(Split::test).size(), 1u);
    EXPECT_EQ(store->classes_in(Split::train).size(), 2u);
    // Label 0 = images 1, 4, 7, 10 (label of i is (i+2)%3), in file order.
    const auto zero = store->read_class(0);
    ASSERT_EQ(zero->size(), 24u);
    for (int k = 0; k < 4; ++k) {
      const int image = 1 + 3 * k;
      for (int p = 0; p < 6; ++p)
        EXPECT_EQ((*zero)[static_cast<size_t>(6 * k + p)], 10 * image + p);
    }
  }
}

TEST_F(IdxTest, PrepareRejectsMismatchedFiles) {
  write_fixture(false);
  IdxArray few{{5}, {0, 1, 2, 0, 1}};
  const fs::path few_labels = root_ / "few.idx";
  write_idx(few_labels, few, false);
  IdxImportOptions options;
  options.images = images_;
  options.labels = few_labels;
  try {
    prepare_idx(root_ / "store", options, {});
    FAIL() << "no error";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr(few_labels.string() + ": has 5 labels but " + images_.string() +
                                    " has 12 images"));
  }
  EXPECT_FALSE(fs::exists(root_ / "store"));
  options.labels = labels_;
  options.class_names = {"a", "b"};  // label 2 has no name
  EXPECT_THROW(prepare_idx(root_ / "store", options, {}), StoreError);
  EXPECT_FALSE(fs::exists(root_ / "store"));
  EXPECT_EQ(std::distance(fs::directory_iterator(root_), fs::directory_iterator()),
            3);  // no partial left
}
