// `cezanne augment`: the grid's layout, column 0 the examples themselves, views that are the
// same on every run and change with the step, and one-line refusals of bad options.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "cezanne/data/Png.hpp"
#include "train/TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

class AugmentCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("augment-cli");
    make_store(store());
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path file(const std::string& name) { return root_->path / name; }
  static std::string bytes(const fs::path& f) {
    std::ifstream in(f, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  // The 28x28 image at (row, column) of a grid with 2-pixel gaps.
  static std::vector<uint8_t> cell(const data::Image& grid, int64_t row, int64_t column) {
    std::vector<uint8_t> out;
    for (int64_t y = 0; y < 28; ++y)
      for (int64_t x = 0; x < 28; ++x)
        out.push_back(grid.pixels[static_cast<size_t>((2 + row * 30 + y) * grid.width + 2 + column * 30 + x)]);
    return out;
  }
  static TempDir* root_;
};
TempDir* AugmentCli::root_ = nullptr;

TEST_F(AugmentCli, WritesExamplesAndTheirViewsAsAGrid) {
  const std::string base = "augment --store " + store().string() + " --examples 3 --views 4 --out ";
  SpawnResult r = cezanne(base + file("a.png").string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, file("a.png").string() + "\n");
  const data::Image grid = data::read_png(file("a.png"), 1);
  EXPECT_EQ(grid.width, 5 * 28 + 6 * 2);
  EXPECT_EQ(grid.height, 3 * 28 + 4 * 2);
  for (int64_t row = 0; row < 3; ++row)
    for (int64_t v = 1; v <= 4; ++v) EXPECT_NE(cell(grid, row, v), cell(grid, row, 0)) << row << "," << v;

  // Deterministic: the same bytes again; another step, other views of the same examples.
  ASSERT_EQ(cezanne(base + file("b.png").string()).status, 0);
  EXPECT_EQ(bytes(file("a.png")), bytes(file("b.png")));
  ASSERT_EQ(cezanne(base + file("c.png").string() + " --step 1").status, 0);
  const data::Image other = data::read_png(file("c.png"), 1);
  for (int64_t row = 0; row < 3; ++row) {
    EXPECT_EQ(cell(other, row, 0), cell(grid, row, 0));
    EXPECT_NE(cell(other, row, 1), cell(grid, row, 1));
  }
  // No augmentation: every view is the example; --zoom 2 doubles every side.
  ASSERT_EQ(cezanne(base + file("none.png").string() + " --augment none").status, 0);
  const data::Image none = data::read_png(file("none.png"), 1);
  for (int64_t row = 0; row < 3; ++row)
    for (int64_t v = 1; v <= 4; ++v) EXPECT_EQ(cell(none, row, v), cell(grid, row, 0));
  ASSERT_EQ(cezanne(base + file("zoom.png").string() + " --zoom 2").status, 0);
  const data::Image zoomed = data::read_png(file("zoom.png"), 1);
  EXPECT_EQ(zoomed.width, 2 * grid.width);
  EXPECT_EQ(zoomed.pixels[static_cast<size_t>((2 * 20 + 1) * zoomed.width + 2 * 40 + 1)],
            grid.pixels[static_cast<size_t>(20 * grid.width + 40)]);
}

TEST_F(AugmentCli, RefusesBadOptionsInOneLine) {
  const std::string base = "augment --store " + store().string() + " --out " + file("bad.png").string();
  const std::vector<std::pair<std::string, std::string>> cases{
      {" --augment shear=-1", "cezanne augment: --augment: shear must be in [0, inf), got -1"},
      {" --augment crop", "cezanne augment: --augment: expected field=value, got 'crop'"},
      {" --views 0", "cezanne augment: --views: must be in [1, 100], got 0"},
      {" --split dev", "cezanne augment: --split: train, val or test, got 'dev'"}};
  for (const auto& [extra, message] : cases) {
    const SpawnResult r = cezanne(base + extra, 60.0);
    EXPECT_EQ(r.status, 2) << extra;
    EXPECT_EQ(r.output, message + "\n") << extra;
    EXPECT_FALSE(fs::exists(file("bad.png"))) << extra;
  }
}

}  // namespace
}  // namespace cz::train::testing
