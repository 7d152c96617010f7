// A full disk (a 1 MiB tmpfs): prepare and train end with one line naming the file and "No
// space left on device", and what was written before stays as it was, with no temporary left.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include "TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

class FullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    disk_ = tmp_.path / "disk";
    fs::create_directories(disk_);
    const std::string mount = "mount -t tmpfs -o size=1m tmpfs " + disk_.string() + " 2>/dev/null";
    if (std::system(mount.c_str()) != 0) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) std::system(("umount " + disk_.string()).c_str());
  }
  /// Fills the disk with a file until `left` bytes are free.
  void fill_leaving(uint64_t left) {
    struct statvfs st {};
    ASSERT_EQ(::statvfs(disk_.c_str(), &st), 0);
    const uint64_t free = st.f_bavail * st.f_frsize;
    ASSERT_GT(free, left);
    const std::string fill =
        "fallocate -l " + std::to_string(free - left) + " " + (disk_ / "filler").string();
    ASSERT_EQ(std::system(fill.c_str()), 0);
  }
  static std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static int lines(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }
  TempDir tmp_{"fulldisk"};
  fs::path disk_;
  bool mounted_ = false;
};

TEST_F(FullDisk, PrepareEndsWithOneLineAndLeavesNoPartialStore) {
  const fs::path out = disk_ / "glyphs";
  const SpawnResult r = cezanne("prepare glyphs --threads 1 --scripts Latin,Greek,Cyrillic --out " + out.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.output), 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cezanne prepare glyphs: error: " + out.string() + ".partial-"));
  EXPECT_THAT(r.output, HasSubstr(": file write failed: No space left on device [H5.cpp:"));
  for (const auto& entry : fs::directory_iterator(disk_)) ADD_FAILURE() << "left behind: " << entry.path();
}

TEST_F(FullDisk, TrainingEndsWithOneLineAndKeepsTheLastCheckpoint) {
  const fs::path store = tmp_.path / "store", run = disk_ / "run";
  make_store(store);
  ASSERT_EQ(cezanne(small_run(store, run, 2, 2)).status, 0);
  const std::string kept = (run / "checkpoint-00000002.h5").string();
  const std::string before = slurp(kept);

  // No room to rewrite the metrics of the resumed run.
  fill_leaving(0);
  const SpawnResult metrics = cezanne(small_run(store, run, 4, 2) + " --resume auto");
  EXPECT_EQ(metrics.status, 1);
  EXPECT_THAT(metrics.output, EndsWith("cezanne: rank 0: " + (run / "metrics.csv.tmp").string() +
                                       ": cannot write: No space left on device\n"));
  EXPECT_FALSE(fs::exists(run / "metrics.csv.tmp"));

  // Room for the metrics, not for the next checkpoint.
  fs::remove(disk_ / "filler");
  fill_leaving(fs::file_size(kept) / 4);
  const SpawnResult checkpoint = cezanne(small_run(store, run, 4, 2) + " --resume auto");
  EXPECT_EQ(checkpoint.status, 1);
  EXPECT_THAT(checkpoint.output,
              HasSubstr("cezanne: rank 0: " + (run / "checkpoint-00000004.h5").string() +
                        ": cannot write checkpoint: /: H5Fclose failed: file write failed: No "
                        "space left on device [Checkpoint.cpp:"));
  EXPECT_THAT(checkpoint.output, EndsWith("]\n"));  // one line, and no crash at exit (was 139)
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(run)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"checkpoint-00000002.h5", "metrics.csv", "metrics.jsonl"}));
  EXPECT_EQ(slurp(kept), before);
  EXPECT_NO_THROW(read_checkpoint(kept));

  // With room again, the run resumes from the checkpoint that stayed and finishes.
  fs::remove(disk_ / "filler");
  const SpawnResult resumed = cezanne(small_run(store, run, 4, 2) + " --resume auto");
  EXPECT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_TRUE(fs::exists(run / "checkpoint-00000004.h5"));
}

}  // namespace
}  // namespace cz::train::testing
