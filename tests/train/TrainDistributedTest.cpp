// `cezanne train` on 2 MPI ranks: exact resume, and a rank killed with SIGKILL ends the job
// (no hang) while --resume auto continues from the last checkpoint; a stopped rank ends the job
// through the watchdog, a suspended job does not; what mpirun does with SIGUSR2 and SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

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

  /// The arguments of a run to interrupt: 100000 tiny steps, no periodic checkpoint, validation
  /// only at the end (so, after the first step, the watchdog's limit is the step-derived one).
  static std::string long_run(const fs::path& out) {
    std::string args = small_run(store(), out, 100000, 1000000);
    args.replace(args.find("--val-every 3"), 13, "--val-every 0");
    return args;
  }
  /// mpirun -np 2 cezanne ARGS.
  std::vector<std::string> on_two_ranks(const std::string& args) const {
    std::vector<std::string> argv = two_ranks_;
    argv.push_back(cezanne_binary());
    std::stringstream words(args);
    for (std::string w; words >> w;) argv.push_back(w);
    return argv;
  }
  /// The ranks of a job: the children of mpirun running cezanne, in pid order.
  static std::vector<pid_t> rank_pids(pid_t mpirun) {
    const SpawnResult r = spawn({"pgrep", "-P", std::to_string(mpirun), "-f", "cezanne train"}, 10);
    std::vector<pid_t> pids;
    std::stringstream lines(r.output);
    for (long pid; lines >> pid;) pids.push_back(static_cast<pid_t>(pid));
    return pids;
  }
  static double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }

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

// --overlap on: the buckets of the gradient leave during the last backward pass (of --tasks-per-pass
// 1: the second of two per rank), and the run writes bitwise the checkpoint of --overlap off.
TEST_F(TrainDistributed, OverlapOnTwoRanksWritesTheBlockingCheckpoint) {
  const fs::path off = root_->path / "overlap-off", on = root_->path / "overlap-on";
  const std::string options = " --tasks-per-pass 1 --bucket-kb 1 --overlap ";
  SpawnResult r = cezanne(small_run(store(), off) + options + "off", 300, two_ranks_);
  ASSERT_EQ(r.status, 0) << r.output;
  r = cezanne(small_run(store(), on) + options + "on", 300, two_ranks_);
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_state(off / "checkpoint-00000006.h5", on / "checkpoint-00000006.h5");
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
  // A checkpoint of step 4 or later: with --keep 3 and steps of milliseconds, the one of step 4
  // itself may be gone before a poll sees it.
  const CheckpointDir checkpoints(run, 3);
  const auto at_step_4 = [&] {
    const std::vector<fs::path> files = checkpoints.list();
    return !files.empty() && files.front().filename().string() >= "checkpoint-00000004.h5";
  };
  ASSERT_TRUE(eventually(at_step_4, 120)) << job.output();

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

// A rank that stops (SIGSTOP here; a rank swapped out, hung in a driver or a dead node alike)
// left the other spinning in a collective forever. The watchdog is on by default and its limit
// is max(--watchdog, 10 x the longest step): with steps of milliseconds and --watchdog 2 the job
// ends in about 2 s, naming the collective.
TEST_F(TrainDistributed, StoppedRankEndsTheJobThroughTheWatchdog) {
  const fs::path run = root_->path / "stopped";
  Background job(on_two_ranks(long_run(run) + " --watchdog 2"), root_->path / "stopped.log");
  ASSERT_TRUE(eventually([&] { return metrics_rows(run) >= 5; }, 120)) << job.output();
  const std::vector<pid_t> ranks = rank_pids(job.pid);
  ASSERT_EQ(ranks.size(), 2u) << job.output();
  ASSERT_EQ(kill(ranks[1], SIGSTOP), 0);
  const auto stopped = std::chrono::steady_clock::now();
  const int status = job.wait_for(60);
  ASSERT_NE(status, -1) << "the job hung with a stopped rank:\n" << job.output();
  EXPECT_LT(seconds_since(stopped), 20.0) << job.output();
  EXPECT_NE(status, 0);
  EXPECT_THAT(job.output(), HasSubstr("collective allreduce blocked for "));
  EXPECT_THAT(job.output(), HasSubstr(" s (watchdog limit "));
}

// A rank stopped as soon as it is spawned never reaches MPI_Init, where no collective watchdog
// runs: the other rank's start-up watchdog (10 x --watchdog) ends it, and mpirun the job.
TEST_F(TrainDistributed, RankStoppedBeforeMpiStartEndsTheJob) {
  const fs::path run = root_->path / "stopped-at-start";
  Background job(on_two_ranks(long_run(run) + " --watchdog 1"), root_->path / "stopped-at-start.log");
  std::vector<pid_t> ranks;
  ASSERT_TRUE(eventually([&] { return (ranks = rank_pids(job.pid)).size() == 2; }, 60)) << job.output();
  ASSERT_EQ(kill(ranks[1], SIGSTOP), 0);
  const auto stopped = std::chrono::steady_clock::now();
  const int status = job.wait_for(60);
  ASSERT_NE(status, -1) << "the job hung with a rank stopped at start:\n" << job.output();
  EXPECT_LT(seconds_since(stopped), 30.0) << job.output();
  EXPECT_NE(status, 0);
  EXPECT_THAT(job.output(), HasSubstr(" blocked for "));
}

// Stopping every rank and continuing them later (`scontrol suspend`/`resume`, a frozen VM) is
// not a hang: the time a process spends stopped does not count toward its own watchdog, so the
// rank that was waiting in a collective when it was stopped does not abort once continued.
TEST_F(TrainDistributed, SuspendedAndResumedJobGoesOn) {
  const fs::path run = root_->path / "suspended";
  Background job(on_two_ranks(long_run(run) + " --watchdog 4"), root_->path / "suspended.log");
  ASSERT_TRUE(eventually([&] { return metrics_rows(run) >= 5; }, 120)) << job.output();
  const std::vector<pid_t> ranks = rank_pids(job.pid);
  ASSERT_EQ(ranks.size(), 2u) << job.output();
  // The second rank runs on into the next collective and waits there for the stopped first.
  ASSERT_EQ(kill(ranks[0], SIGSTOP), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(ranks[1], SIGSTOP), 0);
  std::this_thread::sleep_for(std::chrono::seconds(8));  // twice the limit
  ASSERT_EQ(kill(ranks[1], SIGCONT), 0);
  ASSERT_EQ(kill(ranks[0], SIGCONT), 0);
  const int rows = metrics_rows(run);
  ASSERT_TRUE(eventually([&] { return metrics_rows(run) >= rows + 5; }, 60)) << job.output();
  ASSERT_EQ(kill(job.pid, SIGUSR2), 0);  // mpirun passes it on: checkpoint and stop
  EXPECT_EQ(job.wait_for(60), 75) << job.output();
  EXPECT_THAT(job.output(), ::testing::Not(HasSubstr("blocked for")));
}

// What a user of mpirun (not srun) gets. SIGUSR2 to mpirun is passed on to the ranks: they
// checkpoint at the next step and mpirun exits 75, the lowest rank's status. SIGTERM (and
// SIGINT) is not passed on: Open MPI 4.1's mpirun sets its own exit status to 1 and kills the
// job itself (SIGCONT; odls_base_sigkill_timeout, 1 s; SIGTERM to the ranks; 1 s; SIGKILL), so
// the status is 1 whatever the ranks do, and they write the stop checkpoint only when they
// finish their step within that second (here, with steps of milliseconds, they do). The log's
// "stopped at step N" line and --check-finished tell where the run stands.
TEST_F(TrainDistributed, MpirunPassesSigusr2OnButEndsSigtermWithStatus1) {
  for (const int sig : {SIGUSR2, SIGTERM}) {
    const std::string name = sig == SIGUSR2 ? "SIGUSR2" : "SIGTERM";
    const fs::path run = root_->path / ("mpirun-" + name);
    Background job(on_two_ranks(long_run(run)), root_->path / ("mpirun-" + name + ".log"));
    ASSERT_TRUE(eventually([&] { return metrics_rows(run) >= 3; }, 120)) << job.output();
    ASSERT_EQ(kill(job.pid, sig), 0);
    const int status = job.wait_for(60);
    EXPECT_EQ(status, sig == SIGUSR2 ? 75 : 1) << job.output();
    const std::string out = job.output();
    const size_t at = out.find("stopped at step ");
    ASSERT_NE(at, std::string::npos) << out;
    const int step = std::stoi(out.substr(at + 16));
    EXPECT_THAT(out, HasSubstr("stopped at step " + std::to_string(step) + " (" + name + ")"));
    const SpawnResult check = cezanne(long_run(run) + " --resume auto --check-finished");
    EXPECT_EQ(check.status, 3) << check.output;
    EXPECT_THAT(check.output, HasSubstr(": step " + std::to_string(step) + " of 100000 ("));
  }
}

}  // namespace
}  // namespace cz::train::testing
