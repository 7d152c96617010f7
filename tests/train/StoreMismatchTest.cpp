// A checkpoint meets a store unlike its training store: `eval` refuses another image shape
// before any episode runs and warns about inverted ink; `train --resume` does the same; a whole
// folder imported with --test-fraction 1 is evaluated on its test split.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "TrainFixtures.hpp"
#include "cezanne/data/Png.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class StoreMismatch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("mismatch");
    make_store(store());
    const SpawnResult r = cezanne(small_run(store(), run(), 2, 2));
    ASSERT_EQ(r.status, 0) << r.output;
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path run() { return root_->path / "run"; }
  static std::string checkpoint() { return (run() / "checkpoint-00000002.h5").string(); }

  /// An Omniglot-layout folder of 3 alphabets x 4 characters x 3 drawings, 28x28: a dark
  /// stroke (a bar whose place depends on the character) on a white page.
  static fs::path drawings() {
    const fs::path folder = root_->path / "drawings";
    if (fs::exists(folder)) return folder;
    for (int a = 0; a < 3; ++a) {
      for (int c = 0; c < 4; ++c) {
        const fs::path dir = folder / ("alphabet" + std::to_string(a)) / ("char" + std::to_string(c));
        fs::create_directories(dir);
        for (int k = 0; k < 3; ++k) {
          data::Image image{28, 28, 1, std::vector<uint8_t>(28 * 28, 255)};
          for (int y = 4 + 5 * c; y < 8 + 5 * c; ++y)
            for (int x = 3 + 2 * a + k; x < 22; ++x) image.pixels[static_cast<size_t>(y * 28 + x)] = 0;
          data::write_png(dir / (std::to_string(k) + ".png"), image);
        }
      }
    }
    return folder;
  }
  static std::string eval_args(const fs::path& on) {
    return "eval --checkpoint " + checkpoint() + " --store " + on.string() +
           " --ways 3 --shots 1 --queries 2 --episodes 4";
  }
  static TempDir* root_;
};
TempDir* StoreMismatch::root_ = nullptr;

TEST_F(StoreMismatch, CheckpointRecordsItsTrainingStore) {
  const Checkpoint c = read_checkpoint(checkpoint());
  ASSERT_TRUE(c.store.has_value());
  EXPECT_EQ(c.store->path, store().string());
  EXPECT_EQ(c.store->shape.height, 28);
  EXPECT_EQ(c.store->shape.width, 28);
  EXPECT_EQ(c.store->shape.channels, 1);
  EXPECT_EQ(c.store->examples_sha256.size(), 64u);
  ASSERT_TRUE(c.store->ink.has_value());
  EXPECT_LT(c.store->ink->border_mean, 0.05);  // white glyphs on black
  EXPECT_GT(c.store->ink->pixel_mean, 0.02);
}

TEST_F(StoreMismatch, EvalRefusesAnotherImageShapeBeforeAnyEpisode) {
  const fs::path large = root_->path / "store40";
  make_store(large, 40);
  const SpawnResult r = cezanne(eval_args(large));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "cezanne eval: --store " + large.string() +
                          ": images 40x40x1 (height x width x channels), but the model was "
                          "trained on 28x28x1 (" +
                          store().string() + "); checkpoint " + checkpoint() + "\n");
}

TEST_F(StoreMismatch, EvalWarnsAboutInvertedInkAndNotWhenImportedWithInvert) {
  const fs::path plain = root_->path / "plain", inverted = root_->path / "inverted";
  ASSERT_EQ(cezanne("prepare images --root " + drawings().string() + " --test-fraction 1 --out " +
                    plain.string())
                .status,
            0);
  ASSERT_EQ(cezanne("prepare images --root " + drawings().string() +
                    " --test-fraction 1 --invert --out " + inverted.string())
                .status,
            0);
  const SpawnResult warned = cezanne(eval_args(plain));
  ASSERT_EQ(warned.status, 0) << warned.output;
  EXPECT_THAT(warned.output,
              HasSubstr("cezanne eval: warning: " + plain.string() +
                        " looks inverted against the training store " + store().string() +
                        ": border (background) mean 1.00 of full scale against 0.00"));
  EXPECT_THAT(warned.output, HasSubstr("(imported without --invert, or with it?)\n"));
  const SpawnResult quiet = cezanne(eval_args(inverted));
  ASSERT_EQ(quiet.status, 0) << quiet.output;
  EXPECT_THAT(quiet.output, Not(HasSubstr("warning")));
  // Every class of the folder is in the test split, the one eval draws from by default.
  EXPECT_THAT(quiet.output, HasSubstr("\"split\":\"test\",\"ways\":3,"));
  EXPECT_THAT(quiet.output, HasSubstr("\"episodes\":4,\"ranks\":1}"));
}

TEST_F(StoreMismatch, ResumeRefusesAStoreReplacedByAnotherShape) {
  const fs::path moved = root_->path / "resume-store", out = root_->path / "resume-run";
  make_store(moved);
  ASSERT_EQ(cezanne(small_run(moved, out, 2, 2)).status, 0);
  fs::remove_all(moved);
  make_store(moved, 40);
  const SpawnResult r = cezanne(small_run(moved, out, 4, 2) + " --resume auto");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "cezanne train: --resume " + (out / "checkpoint-00000002.h5").string() +
                          ": --store " + moved.string() +
                          ": images 40x40x1 (height x width x channels), but the model was "
                          "trained on 28x28x1 (" +
                          moved.string() + ")\n");
  EXPECT_FALSE(fs::exists(out / "checkpoint-00000004.h5"));
}

}  // namespace
}  // namespace cz::train::testing
