// `cezanne train` on 2 MPI ranks: exact resume, and a rank killed with SIGKILL ends the job
// (no hang) while --resume auto continues from the last checkpoint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;

class TrainDistributed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("train-mpi");
    make_store(root_->path / "store");
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static TempDir* root_;
  const std::vector<std::string> two_ranks_ = dist::test::mpirun(2);
};
TempDir* TrainDistributed::root_ = nullptr;

TEST_F(TrainDistributed, ResumeOnTwoRanksEqualsUninterrupted) {
  const fs::path reference = root_->path / "reference", run = root_->path / "resumed";
  SpawnResult r = cezanne(small_run(store(), reference), 300, two_ranks_);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("on 2 rank(s)"));
  r = cezanne(small_run(store(), run) + " --stop-after 3", 300, two_ranks_);
  ASSERT_EQ(r.status, 75) << r.output;
  r = cezanne(small_run(store(), run) + " --resume auto", 300, two_ranks_);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("at step 3"));
  expect_same_state(reference / "checkpoint-00000006.h5", run / "checkpoint-00000006.h5");
  EXPECT_EQ(read_checkpoint(run / "checkpoint-00000006.h5").ranks, 2);
}

// Bad input is found before MPI starts: each rank prints the same one line (as one write) and
// exits non-zero; mpirun may stop the second rank before it prints, so at least one line.
TEST_F(TrainDistributed, BadInputEndsEveryRankWithOneLine) {
  const fs::path run = root_->path / "bad";
  const SpawnResult r = cezanne(small_run(store(), run) + " --schedule cosien", 120, two_ranks_);
  EXPECT_NE(r.status, 0);
  const std::string line = "\ncezanne train: --schedule: constant or cosine, got 'cosien'\n";
  const std::string output = "\n" + r.output;
  size_t count = 0;
  for (size_t at = output.find(line); at != std::string::npos; at = output.find(line, at + 1)) ++count;
  EXPECT_GE(count, 1u) << r.output;
  EXPECT_LE(count, 2u) << r.output;
  EXPECT_FALSE(fs::exists(run));
}

TEST_F(TrainDistributed, KilledRankEndsTheJobAndResumeContinues) {
  const fs::path run = root_->path / "killed";
  std::vector<std::string> argv = two_ranks_;
  argv.push_back(cezanne_binary());
  std::stringstream words(small_run(store(), run, 100000));
  for (std::string w; words >> w;) argv.push_back(w);
  Background job(argv, root_->path / "killed.log");
  ASSERT_TRUE(eventually([&] { return fs::exists(run / "checkpoint-00000004.h5"); }, 120)) << job.output();

  // One rank (a child of mpirun) dies without any chance to clean up.
  const SpawnResult ranks = spawn({"pgrep", "-P", std::to_string(job.pid), "-f", "cezanne train"}, 10);
  const pid_t victim = static_cast<pid_t>(std::stol(ranks.output));
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  const int status = job.wait_for(60);
  ASSERT_NE(status, -1) << "the job hung after a rank was killed:\n" << job.output();
  EXPECT_NE(status, 0);

  const std::string again = small_run(store(), run, 100000);
  const SpawnResult resumed = cezanne(again + " --resume auto --stop-after 2", 300, two_ranks_);
  ASSERT_EQ(resumed.status, 75) << resumed.output;
  const size_t at = resumed.output.find("resumed from " + run.string() + "/checkpoint-");
  ASSERT_NE(at, std::string::npos) << resumed.output;
  const int step = std::stoi(resumed.output.substr(resumed.output.find(" at step ", at) + 9));
  EXPECT_GE(step, 4);
  EXPECT_EQ(step % 2, 0);
  EXPECT_EQ(metrics_rows(run), step + 2);
  EXPECT_EQ(read_checkpoint(run / ("checkpoint-" + std::string(8 - std::to_string(step + 2).size(), '0') + std::to_string(step + 2) + ".h5")).step, step + 2);
}

}  // namespace
}  // namespace cz::train::testing
