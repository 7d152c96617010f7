// The real job scripts on the local Slurm: jobs/train.sbatch signalled with SIGUSR2 writes a
// checkpoint, requeues itself and finishes with parameters bitwise equal to an uninterrupted
// job's; the requeue cap holds; jobs/sweep.sbatch runs a job array; jobs/eval.sbatch prints
// the protocol's JSON line; a launch that fails but exits 0 requeues instead of completing; USR2
// sent to the batch shell too (scancel --full or --batch) checkpoints instead of killing it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "slurm/LocalSlurm.hpp"
#include "train/TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;
using slurm::test::LocalSlurm;
using slurm::test::source_dir;

class TrainJob : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("slurm-jobs");
    make_store(root_->path / "store");
    // The run of every job: small enough for seconds, long enough to be signalled mid-way.
    std::ofstream(config()) << "algo = maml\nstore = " << (root_->path / "store").string()
                            << "\nfilters = 8\nways = 3\nshots = 1\nqueries = 2\nmeta-batch = 4\n"
                               "steps = 600\ncheckpoint-every = 50\nval-every = 200\n"
                               "val-episodes = 4\nlr = 0.01\nthreads = 1\n";
  }
  static void TearDownTestSuite() { delete root_; }
  void SetUp() override {
    const LocalSlurm& slurm = LocalSlurm::get();
    if (!slurm.skip.empty()) GTEST_SKIP() << slurm.skip;
    ASSERT_TRUE(slurm.failure.empty()) << slurm.failure;
  }

  static fs::path config() { return root_->path / "run.ini"; }

  /// sbatch SCRIPT ARGS from the source tree; returns the job id. The log goes to LOG.
  static std::string submit(const std::vector<std::string>& sbatch_options, const std::string& script,
                            const std::vector<std::string>& args, const fs::path& log,
                            const std::string& env = "") {
    std::vector<std::string> argv{"sbatch", "--parsable", "--chdir=" + source_dir(), "--output=" + log.string(),
                                  "--export=ALL,CEZANNE_BIN=" + cezanne_binary() + env};
    argv.insert(argv.end(), sbatch_options.begin(), sbatch_options.end());
    argv.push_back(script);
    argv.insert(argv.end(), args.begin(), args.end());
    const SpawnResult r = spawn(argv, 30);
    EXPECT_EQ(r.status, 0) << r.output;
    return r.output.substr(0, r.output.find_first_of(";\n"));
  }

  /// Waits until the job (all its array tasks) has left the queue; a requeued job's
  /// BeginTime delay (Slurm holds requeued jobs for a while) is cut short with
  /// `scontrol update StartTime=now`, but only after 5 s of it: starting at once can race the
  /// teardown of the job's previous step ("step aborted before step completely launched").
  /// Returns false on the deadline.
  static bool wait_job(const std::string& id, double seconds) {
    std::map<std::string, std::chrono::steady_clock::time_point> held_since;
    return eventually(
        [&] {
          const SpawnResult q = spawn({"squeue", "-h", "-j", id, "-o", "%i %r"}, 10);
          std::stringstream lines(q.output);
          for (std::string job, reason; lines >> job >> reason;) {
            if (reason != "BeginTime") continue;
            const auto now = std::chrono::steady_clock::now();
            const auto first = held_since.emplace(job, now).first->second;
            if (now - first > std::chrono::seconds(5))
              spawn({"scontrol", "update", "JobId=" + job, "StartTime=now"}, 10);
          }
          return q.status == 0 && q.output.empty();
        },
        seconds);
  }

  /// JobState and Restarts of a finished job (kept by slurmctld for MinJobAge seconds).
  static std::map<std::string, std::string> job_fields(const std::string& id) {
    const SpawnResult r = spawn({"scontrol", "-o", "show", "job", id}, 10);
    std::map<std::string, std::string> fields;
    std::stringstream words(r.output);
    for (std::string w; words >> w;)
      if (const size_t eq = w.find('='); eq != std::string::npos) fields[w.substr(0, eq)] = w.substr(eq + 1);
    return fields;
  }

  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  static TempDir* root_;
};
TempDir* TrainJob::root_ = nullptr;

TEST_F(TrainJob, SignalledJobRequeuesAndEndsAsAnUninterruptedOne) {
  const fs::path reference = root_->path / "reference", run = root_->path / "signalled";
  const std::string ref_job = submit({}, "jobs/train.sbatch", {config().string(), "--out", reference.string()},
                                     root_->path / "reference.log");
  const std::string job = submit({}, "jobs/train.sbatch", {config().string(), "--out", run.string()},
                                 root_->path / "signalled.log");
  ASSERT_TRUE(eventually([&] { return metrics_rows(run) >= 60; }, 240)) << read(root_->path / "signalled.log");
  ASSERT_EQ(spawn({"scancel", "--signal=USR2", job}, 10).status, 0);
  ASSERT_TRUE(wait_job(job, 240)) << read(root_->path / "signalled.log");
  ASSERT_TRUE(wait_job(ref_job, 60)) << read(root_->path / "reference.log");

  const std::string log = read(root_->path / "signalled.log");
  EXPECT_EQ(job_fields(job)["JobState"], "COMPLETED") << log;
  EXPECT_EQ(job_fields(job)["Restarts"], "1") << log;
  EXPECT_THAT(log, HasSubstr("(SIGUSR2); continue with --resume auto"));
  EXPECT_THAT(log, HasSubstr("stopped with a checkpoint; requeueing (start 2 of at most 6)"));
  EXPECT_THAT(log, HasSubstr("start 2, 2 task(s)"));
  EXPECT_THAT(log, HasSubstr("resumed from " + run.string() + "/checkpoint-"));
  EXPECT_THAT(log, HasSubstr("cezanne train exited with status 0"));
  EXPECT_EQ(job_fields(ref_job)["Restarts"], "0");
  expect_same_state(reference / "checkpoint-00000600.h5", run / "checkpoint-00000600.h5");
  EXPECT_EQ(metrics_rows(run), 600);

  // jobs/eval.sbatch: the protocol on the 2 tasks of the job.
  const fs::path eval_log = root_->path / "eval.log";
  const std::string eval = submit({}, "jobs/eval.sbatch",
                                  {"--checkpoint", (run / "checkpoint-00000600.h5").string(), "--episodes", "20",
                                   "--queries", "2"},
                                  eval_log);
  ASSERT_TRUE(wait_job(eval, 120)) << read(eval_log);
  EXPECT_THAT(read(eval_log), HasSubstr("\"metric\":\"accuracy\",\"mean\":"));
  EXPECT_THAT(read(eval_log), HasSubstr("\"episodes\":20,\"ranks\":2}"));
}

TEST_F(TrainJob, RequeueCapEndsTheJobWithItsCheckpoint) {
  const fs::path run = root_->path / "capped", log_path = root_->path / "capped.log";
  const std::string job = submit({}, "jobs/train.sbatch", {config().string(), "--out", run.string()}, log_path,
                                 ",CEZANNE_MAX_REQUEUES=0");
  ASSERT_TRUE(eventually([&] { return metrics_rows(run) >= 60; }, 240)) << read(log_path);
  ASSERT_EQ(spawn({"scancel", "--signal=USR2", job}, 10).status, 0);
  ASSERT_TRUE(wait_job(job, 120)) << read(log_path);
  const std::string log = read(log_path);
  EXPECT_THAT(log, HasSubstr("stopped with a checkpoint; CEZANNE_MAX_REQUEUES=0 reached, not requeueing"));
  EXPECT_EQ(job_fields(job)["Restarts"], "0");
  EXPECT_EQ(job_fields(job)["JobState"], "FAILED");
  EXPECT_FALSE(CheckpointDir(run, 3).list().empty());
}

TEST_F(TrainJob, SweepRunsOneSettingPerArrayTask) {
  const fs::path sweep = root_->path / "sweep.txt", out = root_->path / "sweep";
  std::ofstream(sweep) << "# learning rates\n--lr 0.005 --steps 40\n\n--lr 0.02 --steps 40\n";
  const std::string job = submit({"--array=0-1"}, "jobs/sweep.sbatch",
                                 {config().string(), sweep.string(), out.string()}, root_->path / "sweep-%a.log");
  ASSERT_TRUE(wait_job(job, 240)) << read(root_->path / "sweep-0.log") << read(root_->path / "sweep-1.log");
  const double expected[] = {0.005, 0.02};
  for (int task = 0; task < 2; ++task) {
    const fs::path ckpt = out / ("task-" + std::to_string(task)) / "checkpoint-00000040.h5";
    ASSERT_TRUE(fs::exists(ckpt)) << read(root_->path / ("sweep-" + std::to_string(task) + ".log"));
    const Checkpoint c = read_checkpoint(ckpt);
    for (const auto& [key, value] : c.config)
      if (key == "lr") {
        EXPECT_EQ(std::stod(value), expected[task]);
      }
  }
}

// A requeued job whose srun failed to launch ("task 0 launch failed: Unspecified error") but
// exited 0 used to end COMPLETED with the run unfinished (27 of 80 steps). The script now asks
// the run directory (cezanne train --check-finished) and requeues; the next start finishes the
// run. A job whose every launch fails that way ends FAILED at the requeue cap. The failing
// launch is simulated by an srun on PATH that prints Slurm's message and exits 0 for the first
// CEZANNE_FAKE_SRUN_FAILS launches of a job, then runs the real srun.
TEST_F(TrainJob, LaunchThatFailsWithStatus0RequeuesInsteadOfCompleting) {
  const fs::path fake = root_->path / "fake-srun";
  fs::create_directories(fake);
  std::ofstream(fake / "srun")
      << "#!/bin/sh\n"
         "count=\"$(dirname \"$0\")/launches-$SLURM_JOB_ID\"\n"
         "n=$(cat \"$count\" 2>/dev/null || echo 0)\n"
         "echo $((n + 1)) > \"$count\"\n"
         "if [ \"$n\" -lt \"$CEZANNE_FAKE_SRUN_FAILS\" ]; then\n"
         "  echo 'srun: error: task 0 launch failed: Unspecified error' >&2\n"
         "  exit 0\n"
         "fi\n"
         "PATH=\"${PATH#*:}\" exec srun \"$@\"\n";
  fs::permissions(fake / "srun", fs::perms::owner_all);
  const std::string path = ",PATH=" + fake.string() + ":" + std::getenv("PATH");
  const fs::path run = root_->path / "relaunched", never = root_->path / "never";
  const fs::path log_path = root_->path / "relaunched.log", never_log = root_->path / "never.log";
  const std::string job = submit({}, "jobs/train.sbatch", {config().string(), "--out", run.string(), "--steps", "40"},
                                 log_path, path + ",CEZANNE_FAKE_SRUN_FAILS=1");
  const std::string capped =
      submit({}, "jobs/train.sbatch", {config().string(), "--out", never.string(), "--steps", "40"}, never_log,
             path + ",CEZANNE_FAKE_SRUN_FAILS=1000,CEZANNE_MAX_REQUEUES=0");
  ASSERT_TRUE(wait_job(job, 240)) << read(log_path);
  ASSERT_TRUE(wait_job(capped, 120)) << read(never_log);

  const std::string log = read(log_path);
  EXPECT_THAT(log, HasSubstr("srun: error: task 0 launch failed: Unspecified error"));
  EXPECT_THAT(log, HasSubstr("cezanne train: " + run.string() + ": step 0 of 40 (no checkpoint): not finished"));
  EXPECT_THAT(log, HasSubstr("srun exited with status 0 but the run has not reached its last step (a failed "
                             "launch?); requeueing (start 2 of at most 6)"));
  EXPECT_THAT(log, HasSubstr("cezanne train: " + run.string() + ": step 40 of 40 (" + run.string() +
                             "/checkpoint-00000040.h5): finished"));
  EXPECT_THAT(log, HasSubstr("cezanne train exited with status 0; the run reached its last step"));
  EXPECT_EQ(job_fields(job)["JobState"], "COMPLETED") << log;
  EXPECT_EQ(job_fields(job)["Restarts"], "1") << log;
  EXPECT_EQ(metrics_rows(run), 40);

  const std::string never_text = read(never_log);
  EXPECT_THAT(never_text, HasSubstr("srun exited with status 0 but the run has not reached its last step (a failed "
                                    "launch?); CEZANNE_MAX_REQUEUES=0 reached, not requeueing"));
  EXPECT_EQ(job_fields(capped)["JobState"], "FAILED") << never_text;
  EXPECT_EQ(job_fields(capped)["ExitCode"], "1:0") << never_text;
}

// SIGUSR2 sent to the batch shell as well (`scancel --full`: every process of the job;
// `scancel --batch`, or `--signal=B:USR2@N`: the shell only) used to kill the shell: the job
// ended FAILED without the ranks' checkpoint. The shell traps it and passes it on to srun, which
// passes it to the ranks: they checkpoint and stop as with a plain `scancel --signal=USR2`.
TEST_F(TrainJob, Usr2ToTheBatchShellCheckpointsInsteadOfKillingIt) {
  for (const std::string how : {"--full", "--batch"}) {
    const fs::path run = root_->path / ("shell" + how), log_path = root_->path / ("shell" + how + ".log");
    const std::string job = submit({}, "jobs/train.sbatch", {config().string(), "--out", run.string()}, log_path,
                                   ",CEZANNE_MAX_REQUEUES=0");
    ASSERT_TRUE(eventually([&] { return metrics_rows(run) >= 60; }, 240)) << read(log_path);
    ASSERT_EQ(spawn({"scancel", how, "--signal=USR2", job}, 10).status, 0);
    ASSERT_TRUE(wait_job(job, 120)) << read(log_path);
    const std::string log = read(log_path);
    EXPECT_THAT(log, HasSubstr("SIGUSR2: passed to the ranks, which checkpoint and stop")) << how;
    EXPECT_THAT(log, HasSubstr("(SIGUSR2); continue with --resume auto")) << how;
    EXPECT_THAT(log, HasSubstr("stopped with a checkpoint; CEZANNE_MAX_REQUEUES=0 reached, not requeueing")) << how;
    EXPECT_EQ(job_fields(job)["ExitCode"], "75:0") << how << "\n" << log;
    EXPECT_FALSE(CheckpointDir(run, 3).list().empty()) << how;
  }
}

}  // namespace
}  // namespace cz::train::testing
