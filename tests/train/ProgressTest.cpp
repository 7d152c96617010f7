// Progress: the exact text of the progress line, its throttling and the ETA, on a fake clock.
#include "cezanne/train/Progress.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

namespace {

using cz::train::Progress;

// An in-memory FILE (never a terminal) and a clock the test sets.
class ProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = open_memstream(&buffer_, &size_);
    ASSERT_NE(file_, nullptr);
  }
  void TearDown() override {
    std::fclose(file_);
    std::free(buffer_);
  }

  std::string output() {
    std::fflush(file_);
    return std::string(buffer_, size_);
  }
  Progress::Clock clock() {
    return [this] { return now_; };
  }

  std::FILE* file_ = nullptr;
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  double now_ = 0.0;
};

constexpr const char* kClear = "\x1b[K";

TEST(ProgressFormat, Durations) {
  EXPECT_EQ(Progress::format_duration(0.0), "0s");
  EXPECT_EQ(Progress::format_duration(44.6), "45s");
  EXPECT_EQ(Progress::format_duration(59.4), "59s");
  EXPECT_EQ(Progress::format_duration(59.6), "1m00s");
  EXPECT_EQ(Progress::format_duration(192.0), "3m12s");
  EXPECT_EQ(Progress::format_duration(3599.0), "59m59s");
  EXPECT_EQ(Progress::format_duration(3600.0), "1h00m");
  EXPECT_EQ(Progress::format_duration(7500.0), "2h05m");
  EXPECT_EQ(Progress::format_duration(3 * 86400.0 + 4 * 3600.0 + 59.0), "3d04h");
  EXPECT_EQ(Progress::format_duration(-1.0), "--");
  EXPECT_EQ(Progress::format_duration(std::numeric_limits<double>::quiet_NaN()), "--");
  EXPECT_EQ(Progress::format_duration(std::numeric_limits<double>::infinity()), "--");
  EXPECT_EQ(Progress::format_duration(1e9), "--");
}

TEST_F(ProgressTest, LogPrintsFirstUpdateThenEveryIntervalAndTheLastStep) {
  {
    Progress progress(100, 1, file_, false, 10.0, clock());
    now_ = 1.0;
    progress.update(1, 1.6094, 0.2133, 3.91);  // first: printed
    now_ = 5.0;
    progress.update(5, 1.2, 0.3, 4.0);  // 4 s later: not yet
    now_ = 11.0;
    progress.update(11, 0.9, 0.5, 4.0);  // 10 s after the first line
    now_ = 20.5;
    progress.update(20, 0.8, 0.6, 4.0);  // 9.5 s: not yet
    now_ = 30.0;
    progress.update(100, 0.532, 0.812, 42.14);  // the last step, always
    progress.finish();
  }
  EXPECT_EQ(output(),
            "step 1/100  loss 1.609  acc 21.3%  3.9 tasks/s  ETA 1m39s\n"
            "step 11/100  loss 0.9  acc 50.0%  4.0 tasks/s  ETA 1m29s\n"
            "step 100/100  loss 0.532  acc 81.2%  42.1 tasks/s  ETA 0s\n");
}

TEST_F(ProgressTest, LogEveryZeroSecondsPrintsEveryUpdate) {
  {
    Progress progress(3, 1, file_, false, 0.0, clock());
    for (int step = 1; step <= 2; ++step) {
      now_ = step;
      progress.update(step, 0.5, 0.5, 1.0);
    }
  }
  EXPECT_EQ(output(),
            "step 1/3  loss 0.5  acc 50.0%  1.0 tasks/s  ETA 2s\n"
            "step 2/3  loss 0.5  acc 50.0%  1.0 tasks/s  ETA 1s\n");
}

TEST_F(ProgressTest, LogMessagesAreLinesOfTheirOwn) {
  {
    Progress progress(10, 1, file_, false, 10.0, clock());
    progress.message("training protonet");
    now_ = 1.0;
    progress.update(1, 2.0, 0.25, 5.0);
    progress.message("step 1: validation 30.0% +- 1.0%");
    now_ = 2.0;
    progress.update(2, 1.0, 0.5, 5.0);  // a message does not make a log line due
  }
  EXPECT_EQ(output(),
            "training protonet\n"
            "step 1/10  loss 2  acc 25.0%  5.0 tasks/s  ETA 9s\n"
            "step 1: validation 30.0% +- 1.0%\n"
            "step 2/10  loss 1  acc 50.0%  5.0 tasks/s  ETA 8s\n");  // by the destructor
}

TEST_F(ProgressTest, FinishPrintsAPendingUpdateOnce) {
  Progress progress(1000, 1, file_, false, 10.0, clock());
  now_ = 1.0;
  progress.update(1, 1.0, 0.5, 2.0);
  now_ = 2.0;
  progress.update(2, 0.9, 0.5, 2.0);
  EXPECT_EQ(output(), "step 1/1000  loss 1  acc 50.0%  2.0 tasks/s  ETA 16m39s\n");
  progress.finish();
  progress.finish();
  EXPECT_EQ(output(),
            "step 1/1000  loss 1  acc 50.0%  2.0 tasks/s  ETA 16m39s\n"
            "step 2/1000  loss 0.9  acc 50.0%  2.0 tasks/s  ETA 16m38s\n");
}

TEST_F(ProgressTest, InteractiveRedrawsOneLineAtMostTenTimesASecond) {
  Progress progress(10, 1, file_, true, 10.0, clock());
  now_ = 0.5;
  progress.update(1, 2.0, 0.2, 2.0);  // drawn: the first
  now_ = 0.55;
  progress.update(2, 1.9, 0.3, 2.0);  // 0.05 s later: skipped
  now_ = 0.65;
  progress.update(3, 1.8, 0.4, 2.0);  // 0.15 s: drawn
  progress.message("step 3: validation 41.0% +- 2.0%");
  now_ = 0.66;
  progress.update(4, 1.7, 0.5, 2.0);  // redrawn after a message however soon
  now_ = 0.67;
  progress.update(10, 1.0, 0.9, 2.0);  // the last step, always
  progress.finish();
  progress.finish();
  const std::string clear = kClear;
  EXPECT_EQ(output(),
            "\rstep 1/10  loss 2  acc 20.0%  2.0 tasks/s  ETA 5s" + clear +
                "\rstep 3/10  loss 1.8  acc 40.0%  2.0 tasks/s  ETA 2s" + clear + "\r" + clear +
                "step 3: validation 41.0% +- 2.0%\n"
                "\rstep 4/10  loss 1.7  acc 50.0%  2.0 tasks/s  ETA 1s" +
                clear + "\rstep 10/10  loss 1  acc 90.0%  2.0 tasks/s  ETA 0s" + clear + "\n");
}

TEST_F(ProgressTest, InteractiveDestructorEndsTheLine) {
  {
    Progress progress(10, 1, file_, true, 10.0, clock());
    now_ = 1.0;
    progress.update(1, 0.25, std::nullopt, 8.0);
  }
  EXPECT_EQ(output(), "\rstep 1/10  loss 0.25  8.0 tasks/s  ETA 9s" + std::string(kClear) + "\n");
}

TEST_F(ProgressTest, MessageWithoutAProgressLineIsJustALine) {
  Progress progress(10, 1, file_, true, 10.0, clock());
  progress.message("resumed");
  progress.finish();
  EXPECT_EQ(output(), "resumed\n");
}

TEST_F(ProgressTest, RegressionLeavesAccuracyOut) {
  Progress progress(10, 1, file_, false, 10.0, clock());
  now_ = 2.0;
  progress.update(1, 0.0123456, std::nullopt, 12.345);
  EXPECT_EQ(output(), "step 1/10  loss 0.01235  12.3 tasks/s  ETA 18s\n");
}

TEST_F(ProgressTest, EtaIsTheAverageRateSinceAResume) {
  now_ = 100.0;
  Progress progress(1000, 501, file_, false, 10.0, clock());
  now_ = 110.0;
  progress.update(510, 0.5, 0.75, 4.0);  // 10 steps in 10 s, 490 to go
  EXPECT_EQ(output(), "step 510/1000  loss 0.5  acc 75.0%  4.0 tasks/s  ETA 8m10s\n");
}

TEST_F(ProgressTest, EtaIsUnknownBeforeTimePasses) {
  Progress progress(10, 1, file_, false, 10.0, clock());
  progress.update(1, 1.0, 0.5, 0.0);
  EXPECT_EQ(output(), "step 1/10  loss 1  acc 50.0%  0.0 tasks/s  ETA --\n");
}

TEST_F(ProgressTest, DefaultsToPlainLinesWhenNotATerminal) {
  Progress progress(1, 1, file_);
  progress.update(1, 1.0, 0.5, 1.0);
  EXPECT_EQ(output().find('\r'), std::string::npos) << output();
  EXPECT_EQ(output().rfind("step 1/1  loss 1  acc 50.0%  1.0 tasks/s  ETA 0s\n", 0), 0u);
}

TEST_F(ProgressTest, RejectsBadArguments) {
  EXPECT_THROW(Progress(0, 1, file_, false), std::invalid_argument);
  EXPECT_THROW(Progress(10, 0, file_, false), std::invalid_argument);
  EXPECT_THROW(Progress(10, 1, file_, false, -1.0), std::invalid_argument);
  EXPECT_THROW(Progress(10, 1, file_, false, std::nan("")), std::invalid_argument);
}

}  // namespace
