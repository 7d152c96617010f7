// PNG round trips, resizing, and the images importer on PNG folders written here with libpng.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cezanne/data/ImageFolder.hpp"
#include "cezanne/data/Png.hpp"
#include "cezanne/data/Store.hpp"
#include "cezanne/data/StoreError.hpp"

namespace fs = std::filesystem;
using namespace cz::data;
using ::testing::HasSubstr;

namespace {

Image make_image(int64_t h, int64_t w, int64_t c, int seed) {
  Image image{h, w, c, {}};
  for (int64_t i = 0; i < h * w * c; ++i)
    image.pixels.push_back(static_cast<uint8_t>((seed * 31 + i * 17) % 256));
  return image;
}

class ImageFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("cz-images-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  /// Omniglot layout: 3 alphabets x 2 characters x 3 drawings of 6x6 gray (plus noise files).
  fs::path write_omniglot() {
    const fs::path data = root_ / "omniglot";
    int seed = 0;
    for (const char* alphabet : {"Braille", "Greek", "Latin"}) {
      for (const char* character : {"character01", "character02"}) {
        fs::create_directories(data / alphabet / character);
        for (int k = 0; k < 3; ++k) {
          write_png(data / alphabet / character / ("drawing" + std::to_string(k) + ".png"),
                    make_image(6, 6, 1, seed++));
        }
        std::ofstream(data / alphabet / character / "README.txt") << "ignored";
      }
    }
    fs::create_directories(data / "Latin" / "empty");  // skipped
    return data;
  }

  fs::path root_;
};

}  // namespace

TEST_F(ImageFolderTest, PngRoundTripsGrayAndRgb) {
  for (int c : {1, 3}) {
    const Image image = make_image(5, 7, c, c);
    const fs::path file = root_ / ("x" + std::to_string(c) + ".png");
    write_png(file, image);
    const Image read = read_png(file, c);
    EXPECT_EQ(read.height, 5);
    EXPECT_EQ(read.width, 7);
    EXPECT_EQ(read.channels, c);
    EXPECT_EQ(read.pixels, image.pixels);
  }
  // Gray read as RGB repeats the value.
  const Image rgb = read_png(root_ / "x1.png", 3);
  EXPECT_EQ(rgb.pixels[0], rgb.pixels[1]);
  EXPECT_EQ(rgb.pixels[3 * 4 + 2], make_image(5, 7, 1, 1).pixels[4]);
}

TEST_F(ImageFolderTest, UnreadablePngNamesTheFile) {
  const fs::path bad = root_ / "bad.png";
  std::ofstream(bad) << "not a png at all";
  try {
    read_png(bad, 1);
    FAIL() << "no error";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr(bad.string() + ": not a readable PNG"));
  }
  // A real PNG cut in half fails while decoding.
  const fs::path cut = root_ / "cut.png";
  write_png(cut, make_image(64, 64, 3, 9));
  fs::resize_file(cut, fs::file_size(cut) / 2);
  EXPECT_THROW(read_png(cut, 3), StoreError);
}

TEST_F(ImageFolderTest, BilinearResize) {
  Image two{1, 2, 1, {0, 200}};
  const Image four = resize_image(two, 1, 4);
  // Centres of 4 outputs map to source x = -0.25, 0.25, 0.75, 1.25 (clamped): 0, 50, 150, 200.
  EXPECT_EQ(four.pixels, (std::vector<uint8_t>{0, 50, 150, 200}));
  const Image flat{4, 4, 1, std::vector<uint8_t>(16, 77)};
  EXPECT_EQ(resize_image(flat, 2, 3).pixels, std::vector<uint8_t>(6, 77));
  EXPECT_EQ(resize_image(four, 1, 2, ResizeFilter::nearest).pixels,
            (std::vector<uint8_t>{50, 200}));
}

TEST_F(ImageFolderTest, OmniglotLayoutMakesAlphabetsDomains) {
  const fs::path data = write_omniglot();
  ImageFolderOptions options;
  options.root = data;
  options.size = 3;
  options.invert = true;
  options.fractions = {.val = 0.34, .test = 0.34, .seed = 3};
  const ImportStats stats = prepare_images(root_ / "store", options, {"images", "test", "0"});
  EXPECT_EQ(stats.domains, 3);
  EXPECT_EQ(stats.classes, 6);
  EXPECT_EQ(stats.examples, 18);
  auto store = Store::open(root_ / "store");
  ASSERT_EQ(store->domains().size(), 3u);
  EXPECT_EQ(store->domains()[1].name, "Greek");
  EXPECT_EQ(store->classes()[3].name, "character02");
  EXPECT_EQ(store->classes()[3].domain, 1);
  EXPECT_EQ(store->metadata().split_by, "domain");
  // One alphabet per split, and classes follow their alphabet.
  for (Split s : {Split::train, Split::val, Split::test})
    EXPECT_EQ(store->domains_in(s).size(), 1u);
  for (const ClassInfo& c : store->classes())
    EXPECT_EQ(c.split, store->domains()[static_cast<size_t>(c.domain)].split);
  // Pixels: resized then inverted, in file name order.
  const Image source = read_png(data / "Greek" / "character02" / "drawing1.png", 1);
  const Image expected = resize_image(source, 3, 3);
  const auto cls = store->read_class(3);
  ASSERT_EQ(cls->size(), 27u);
  for (size_t i = 0; i < 9; ++i) EXPECT_EQ((*cls)[9 + i], 255 - expected.pixels[i]) << i;
}

TEST_F(ImageFolderTest, FlatLayoutIsOneDomainSplitByClass) {
  const fs::path data = root_ / "imagenet";
  for (int c = 0; c < 5; ++c) {
    fs::create_directories(data / ("n0" + std::to_string(c)));
    for (int k = 0; k < 2; ++k)
      write_png(data / ("n0" + std::to_string(c)) / ("img" + std::to_string(k) + ".PNG"),
                make_image(4, 5, 3, c * 2 + k));
  }
  ImageFolderOptions options;
  options.root = data;
  options.layout = ImageLayout::flat;
  options.channels = 3;
  options.split_by = SplitBy::class_;
  prepare_images(root_ / "store", options, {});
  auto store = Store::open(root_ / "store");
  ASSERT_EQ(store->domains().size(), 1u);
  EXPECT_EQ(store->domains()[0].name, "imagenet");
  EXPECT_EQ(store->shape().height, 4);
  EXPECT_EQ(store->shape().width, 5);
  EXPECT_EQ(store->shape().channels, 3);
  EXPECT_EQ(store->classes().size(), 5u);
  EXPECT_EQ(store->metadata().split_by, "class");
  const auto c2 = store->read_class(2);
  auto expected = make_image(4, 5, 3, 4).pixels;
  const auto second = make_image(4, 5, 3, 5).pixels;
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(*c2, expected);
}

TEST_F(ImageFolderTest, BadInputFailsWithTheFileAndLeavesNoStore) {
  const fs::path data = write_omniglot();
  const fs::path bad = data / "Greek" / "character01" / "drawing1.png";
  std::ofstream(bad, std::ios::trunc) << "garbage";
  ImageFolderOptions options;
  options.root = data;
  try {
    prepare_images(root_ / "store", options, {});
    FAIL() << "no error";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr(bad.string() + ": not a readable PNG"));
  }
  EXPECT_FALSE(fs::exists(root_ / "store"));
  EXPECT_EQ(std::distance(fs::directory_iterator(root_), fs::directory_iterator()),
            1);  // only the data
  // Mixed sizes without --size name the odd file.
  write_png(bad, make_image(5, 6, 1, 0));
  try {
    prepare_images(root_ / "store", options, {});
    FAIL() << "no error";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr(bad.string() + ": image is 5x6, the first was 6x6"));
  }
  options.root = root_ / "nothing";
  fs::create_directories(options.root);
  EXPECT_THROW(prepare_images(root_ / "store", options, {}), StoreError);
}
