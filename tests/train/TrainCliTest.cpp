// `cezanne train` and `cezanne eval` end to end on one process: exact resume, damaged
// checkpoints, pre-emption signals, and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "TrainFixtures.hpp"
#include "cezanne/train/Trainer.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class TrainCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("train");
    make_store(store());
    // The uninterrupted reference run every resume must reproduce bit for bit.
    const SpawnResult r = cezanne(small_run(store(), reference()));
    ASSERT_EQ(r.status, 0) << r.output;
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path reference() { return root_->path / "reference"; }
  fs::path dir(const std::string& name) const {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(test.begin(), test.end(), '/', '_');  // parameterized names
    return root_->path / (test + "-" + name);
  }
  static TempDir* root_;
};
TempDir* TrainCli::root_ = nullptr;

TEST_F(TrainCli, WritesMetricsCheckpointsAndValidation) {
  const fs::path run = reference();
  EXPECT_EQ(metrics_rows(run), 6);
  std::ifstream csv(run / "metrics.csv");
  std::string header, row;
  std::getline(csv, header);
  EXPECT_EQ(header, "step,loss,train_accuracy,val_accuracy,val_ci95,tasks_per_s,seconds");
  for (int i = 0; i < 3; ++i) std::getline(csv, row);
  EXPECT_THAT(row, StartsWith("3,"));  // a validation step: every field present
  EXPECT_EQ(std::count(row.begin(), row.end(), ','), 6);
  EXPECT_EQ(row.find(",,"), std::string::npos) << row;
  // keep = 3 of the checkpoints at steps 2, 4, 6.
  EXPECT_TRUE(fs::exists(run / "checkpoint-00000002.h5"));
  EXPECT_TRUE(fs::exists(run / "checkpoint-00000006.h5"));
  const Checkpoint c = read_checkpoint(run / "checkpoint-00000006.h5");
  EXPECT_EQ(c.step, 6);
  EXPECT_EQ(c.algorithm, "maml");
  EXPECT_EQ(c.model, "conv4 filters=8 channels=1 image=28 ways=3");
  EXPECT_EQ(c.optimizer, "Adam");
  EXPECT_EQ(c.optimizer_steps, 6);
  std::ifstream jsonl(run / "metrics.jsonl");
  std::string first;
  std::getline(jsonl, first);
  EXPECT_THAT(first, StartsWith("{\"step\":1,\"loss\":"));
}

TEST_F(TrainCli, ResumeAtAnyStepEqualsUninterrupted) {
  const fs::path run = dir("run");
  // Interrupted after steps 1 and 4 (neither on the checkpoint grid), resumed twice.
  SpawnResult r = cezanne(small_run(store(), run) + " --stop-after 1");
  ASSERT_EQ(r.status, 75) << r.output;
  EXPECT_THAT(r.output, HasSubstr("stopped at step 1 (--stop-after); continue with --resume auto"));
  r = cezanne(small_run(store(), run) + " --resume auto --stop-after 3");
  ASSERT_EQ(r.status, 75) << r.output;
  EXPECT_THAT(r.output, HasSubstr("resumed from " + (run / "checkpoint-00000001.h5").string() + " at step 1"));
  r = cezanne(small_run(store(), run) + " --resume auto");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("at step 4"));
  expect_same_state(reference() / "checkpoint-00000006.h5", run / "checkpoint-00000006.h5");
  EXPECT_EQ(metrics_rows(run), 6);
}

TEST_F(TrainCli, DamagedNewestCheckpointFallsBackToThePreviousOne) {
  const fs::path run = dir("run");
  ASSERT_EQ(cezanne(small_run(store(), run) + " --stop-after 4").status, 75);
  const fs::path newest = run / "checkpoint-00000004.h5";
  fs::resize_file(newest, fs::file_size(newest) / 2);
  const SpawnResult r = cezanne(small_run(store(), run) + " --resume auto");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("warning: " + newest.string() + ": damaged checkpoint"));
  EXPECT_THAT(r.output, HasSubstr("resumed from " + (run / "checkpoint-00000002.h5").string() + " at step 2"));
  expect_same_state(reference() / "checkpoint-00000006.h5", run / "checkpoint-00000006.h5");
}

class TrainSignal : public TrainCli, public ::testing::WithParamInterface<int> {};

TEST_P(TrainSignal, ChecksPointsAtTheNextStepAndExits75) {
  const fs::path run = dir("run");
  std::vector<std::string> argv{cezanne_binary()};
  std::stringstream words(small_run(store(), run, 100000, 1000) + " --log-seconds 0");
  for (std::string w; words >> w;) argv.push_back(w);
  Background job(argv, dir("log"));
  ASSERT_TRUE(eventually([&] { return metrics_rows(run) >= 3; }, 120)) << job.output();
  kill(job.pid, GetParam());
  const int status = job.wait_for(60);
  ASSERT_EQ(status, 75) << job.output();
  const int rows = metrics_rows(run);
  const std::string name = GetParam() == SIGUSR2 ? "SIGUSR2" : "SIGTERM";
  EXPECT_THAT(job.output(), HasSubstr("stopped at step " + std::to_string(rows) + " (" + name + ")"));
  char file[32];
  std::snprintf(file, sizeof file, "checkpoint-%08d.h5", rows);
  EXPECT_EQ(read_checkpoint(run / file).step, rows);
}

// A stop signal while the command is still setting up (here: blocked reading its --config from
// a FIFO, before the store, the checkpoint and MPI) is recorded, not fatal (it was: status 140
// or 143): the run stops before its first step with status 75 and no checkpoint, and
// --resume auto then does the whole run.
TEST_P(TrainSignal, DuringSetUpStopsBeforeTheFirstStepWith75) {
  const fs::path run = dir("run"), fifo = dir("config.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Background job({cezanne_binary(), "train", "--config", fifo.string()}, dir("log"));
  // Opening the FIFO for writing succeeds once cezanne has opened it for reading: it is then
  // parsing its options, long before the first step.
  int fd = -1;
  ASSERT_TRUE(eventually([&] { return (fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK)) >= 0; }, 60))
      << job.output();
  ASSERT_EQ(kill(job.pid, GetParam()), 0);
  std::stringstream words(small_run(store(), run));
  std::string ini, word, value;
  words >> word;  // "train"
  while (words >> word >> value) ini += word.substr(2) + " = " + value + "\n";
  ASSERT_EQ(::write(fd, ini.data(), ini.size()), static_cast<ssize_t>(ini.size()));
  ::close(fd);
  const int status = job.wait_for(120);
  ASSERT_EQ(status, 75) << job.output();
  const std::string name = GetParam() == SIGUSR2 ? "SIGUSR2" : "SIGTERM";
  EXPECT_THAT(job.output(), HasSubstr("stopped at step 0 (" + name + " during set-up); continue with --resume auto"));
  EXPECT_TRUE(CheckpointDir(run, 3).list().empty());
  EXPECT_EQ(metrics_rows(run), 0);
  const SpawnResult r = cezanne(small_run(store(), run) + " --resume auto");
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_state(reference() / "checkpoint-00000006.h5", run / "checkpoint-00000006.h5");
}

INSTANTIATE_TEST_SUITE_P(Signals, TrainSignal, ::testing::Values(SIGUSR2, SIGTERM),
                         [](const auto& info) { return info.param == SIGUSR2 ? "SIGUSR2" : "SIGTERM"; });

// The job scripts' test after srun: the newest valid checkpoint of --out against --steps.
TEST_F(TrainCli, CheckFinishedReadsTheRunDirectory) {
  const std::string out = reference().string();
  SpawnResult r = cezanne(small_run(store(), reference()) + " --resume auto --check-finished");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "cezanne train: " + out + ": step 6 of 6 (" + out + "/checkpoint-00000006.h5): finished\n");
  r = cezanne(small_run(store(), reference(), 7) + " --check-finished");
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr(": step 6 of 7 ("));
  const fs::path none = dir("none");
  r = cezanne(small_run(store(), none) + " --check-finished");
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_EQ(r.output, "cezanne train: " + none.string() + ": step 0 of 6 (no checkpoint): not finished\n");
  EXPECT_FALSE(fs::exists(none));  // nothing trained, nothing created
}

// The watchdog is on by default: at least --watchdog (60 s), 10x the longest step, and 600 s
// while ranks may drift apart (set-up, first step, validation, checkpoints); 0 turns it off.
// `cezanne train --help` lists the registry's algorithms; with --algo NAME, NAME's own options
// and those of every run, not another algorithm's.
TEST(TrainHelp, AnAlgorithmsHelpShowsItsOwnOptions) {
  SpawnResult r = cezanne("train --help", 60);
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* name : {"  maml: ", "  protonet: ", "  multitask: "}) EXPECT_NE(r.output.find(name), std::string::npos) << name;
  r = cezanne("train --algo maml --help", 60);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.rfind("usage: cezanne train --algo maml [options]\n", 0), 0u) << r.output;
  for (const char* shown : {"--inner-lr", "--zero-head", "--ways", "--steps", "--freeze"})
    EXPECT_NE(r.output.find(shown), std::string::npos) << shown;
  for (const char* hidden : {"--conditioning", "--memory", "--matching-scale"})
    EXPECT_EQ(r.output.find(hidden), std::string::npos) << hidden;
  r = cezanne("train --algo=multitask --help", 60);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("--conditioning"), std::string::npos);
  EXPECT_EQ(r.output.find("--inner-lr"), std::string::npos);
  r = cezanne("train --algo reptile --help", 60);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "cezanne train: --algo: one of maml, fomaml, anil, protonet, matching, siamese, mann, "
                      "set_encoder, versa, neural_process, pretrain, multitask, vae, triplet, nt_xent, moco, autoencoder, mae; got 'reptile'\n");
  r = cezanne("train --algo vae --help", 60);
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* shown : {"--latent", "--beta", "--likelihood", "--iwae-samples", "--split-by", "--example-split", "--filters"})
    EXPECT_NE(r.output.find(shown), std::string::npos) << shown;
  EXPECT_EQ(r.output.find("--inner-lr"), std::string::npos);
  r = cezanne("train --algo moco --help", 60);
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* shown : {"--queue", "--momentum", "--contrast-temperature", "--projection", "--augment"})
    EXPECT_NE(r.output.find(shown), std::string::npos) << shown;
  for (const char* hidden : {"--margin", "--mining", "--negatives", "--latent"})
    EXPECT_EQ(r.output.find(hidden), std::string::npos) << hidden;
}

TEST(TrainWatchdog, LimitFollowsTheLongestStep) {
  EXPECT_EQ(TrainConfig{}.watchdog, 60.0);
  EXPECT_EQ(watchdog_limit(60, 0, false), 60.0);
  EXPECT_EQ(watchdog_limit(60, 0.5, false), 60.0);
  EXPECT_EQ(watchdog_limit(60, 12, false), 120.0);
  EXPECT_EQ(watchdog_limit(60, 12, true), 600.0);
  EXPECT_EQ(watchdog_limit(60, 100, true), 1000.0);
  EXPECT_EQ(watchdog_limit(2, 0.01, false), 2.0);
  EXPECT_EQ(watchdog_limit(2, 0.01, true), 20.0);  // --watchdog governs the relaxed phases too
  EXPECT_EQ(watchdog_limit(0, 100, false), 0.0);
  EXPECT_EQ(watchdog_limit(0, 100, true), 0.0);
}

TEST_F(TrainCli, EvalPrintsMeanAndConfidenceInterval) {
  const std::string ckpt = (reference() / "checkpoint-00000006.h5").string();
  const SpawnResult r = cezanne("eval --checkpoint " + ckpt + " --episodes 20 --queries 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("{\"eval\":\"" + ckpt + "\",\"algo\":\"maml\",\"step\":6,\"split\":\"test\",\"ways\":3"));
  EXPECT_THAT(r.output, HasSubstr("\"metric\":\"accuracy\",\"mean\":"));
  EXPECT_THAT(r.output, HasSubstr("\"episodes\":20,\"ranks\":1}"));
  // The same episodes give the same figure.
  EXPECT_EQ(cezanne("eval --checkpoint " + ckpt + " --episodes 20 --queries 2").output, r.output);
  const SpawnResult wide = cezanne("eval --checkpoint " + ckpt + " --ways 5 --queries 2");
  EXPECT_EQ(wide.status, 2);
  EXPECT_THAT(wide.output, HasSubstr("cezanne eval: --checkpoint " + ckpt + ": "));
  EXPECT_THAT(wide.output, HasSubstr("ways"));
}

TEST_F(TrainCli, EvalBaselineIsNearestNeighbourOnPixels) {
  const SpawnResult r = cezanne("eval --baseline pixels --store " + store().string() + " --ways 3 --shots 1 --queries 2 --episodes 30");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, StartsWith("{\"eval\":\"baseline\",\"algo\":\"nearest_pixels\",\"split\":\"test\",\"ways\":3,"));
  EXPECT_THAT(r.output, HasSubstr("\"episodes\":30,\"ranks\":1}"));
  const SpawnResult both = cezanne("eval --baseline pixels --checkpoint x.h5 --store " + store().string());
  EXPECT_EQ(both.status, 2);
  EXPECT_EQ(both.output, "cezanne eval: give exactly one of --checkpoint FILE and --baseline pixels\n");
}

TEST_F(TrainCli, SinusoidRegressionTrainsAndEvaluates) {
  const fs::path run = dir("run");
  const SpawnResult r = cezanne("train --algo maml --model mlp --shots 5 --queries 10 --meta-batch 4 --inner-lr 0.01 --steps 20 --val-every 10 --val-episodes 10 --out " + run.string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("step 10: validation MSE "));
  const SpawnResult e = cezanne("eval --checkpoint " + (run / "checkpoint-00000020.h5").string() + " --episodes 10");
  ASSERT_EQ(e.status, 0) << e.output;
  EXPECT_THAT(e.output, HasSubstr("\"metric\":\"mse\""));
  // 100 steps of 0.01 from a barely trained network overflow: JSON null, not "nan".
  const SpawnResult d = cezanne("eval --checkpoint " + (run / "checkpoint-00000020.h5").string() +
                                " --episodes 10 --test-inner-steps 100");
  ASSERT_EQ(d.status, 0) << d.output;
  EXPECT_THAT(d.output, HasSubstr("\"mean\":null,\"ci95\":null,"));
}

// Bad input: one line, a non-zero status, and nothing written.
class TrainBadInput : public TrainCli {
 protected:
  void expect_refused(const std::string& args, int status, const std::string& message) {
    const SpawnResult r = cezanne(args);
    EXPECT_EQ(r.status, status) << r.output;
    EXPECT_EQ(r.output, message + "\n");
  }
};

TEST_F(TrainBadInput, UnknownOption) {
  const fs::path run = dir("run");
  expect_refused(small_run(store(), run) + " --stpes 3", 2, "cezanne train: unrecognised option '--stpes'");
  EXPECT_FALSE(fs::exists(run));
}

TEST_F(TrainBadInput, UnknownMetaRegularizedParameters) {
  const fs::path run = dir("run");
  expect_refused(small_run(store(), run) + " --meta-reg information --meta-reg-params heads", 2,
                 "cezanne train: --meta-reg-params: all, body or head, got 'heads'");
  EXPECT_FALSE(fs::exists(run));
}

TEST_F(TrainBadInput, OverlapAndBucketSize) {
  const fs::path run = dir("run");
  expect_refused(small_run(store(), run) + " --overlap yes", 2, "cezanne train: --overlap: on or off, got 'yes'");
  expect_refused(small_run(store(), run) + " --bucket-kb 0", 2,
                 "cezanne train: --bucket-kb: must be in [1, 1048576], got 0");
  EXPECT_FALSE(fs::exists(run));
}

TEST_F(TrainBadInput, LearnerOptionOfAnotherAlgorithm) {
  const fs::path run = dir("run");
  expect_refused(small_run(store(), run) + " --memory", 2, "cezanne train: --memory: for --algo mann, got 'maml'");
  std::string protonet = small_run(store(), run);
  protonet.replace(protonet.find("maml"), 4, "protonet");
  expect_refused(protonet + " --zero-head", 2,
                 "cezanne train: --zero-head: for --algo maml, fomaml or anil, got 'protonet'");
  EXPECT_FALSE(fs::exists(run));
}

TEST_F(TrainBadInput, MissingStore) {
  const fs::path run = dir("run");
  const SpawnResult r = cezanne(small_run(root_->path / "nostore", run));
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, StartsWith("cezanne train: "));
  EXPECT_THAT(r.output, HasSubstr((root_->path / "nostore").string()));
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(fs::exists(run));
}

TEST_F(TrainBadInput, StoreImagesTooSmallForConv4) {
  const fs::path small = dir("store8"), run = dir("run");
  make_store(small, 8);
  expect_refused(small_run(small, run), 2,
                 "cezanne train: --store " + small.string() +
                     ": Conv4: image 8 is too small for 4 pooling layers (needs >= 16)");
  EXPECT_FALSE(fs::exists(run));
}

TEST_F(TrainBadInput, ConfigFileWithATypo) {
  const fs::path ini = dir("typo.ini"), run = dir("run");
  std::ofstream(ini) << "steps = 3\nmeta-bach = 4\n";
  expect_refused(small_run(store(), run) + " --config " + ini.string(), 2,
                 "cezanne train: --config " + ini.string() + ": unknown key 'meta-bach'");
  EXPECT_FALSE(fs::exists(run));
}

TEST_F(TrainBadInput, UnwritableOutputDirectory) {
  const fs::path file = dir("file");
  std::ofstream(file) << "x";
  const fs::path run = file / "run";
  const SpawnResult r = cezanne(small_run(store(), run));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output, StartsWith("cezanne train: --out " + run.string() + ": cannot create: "));
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST_F(TrainBadInput, CheckpointOfAnotherAlgorithmOrModel) {
  const std::string ckpt = (reference() / "checkpoint-00000006.h5").string();
  const fs::path run = dir("run");
  std::string protonet = small_run(store(), run);
  protonet.replace(protonet.find("maml"), 4, "protonet");
  expect_refused(protonet + " --resume " + ckpt, 2,
                 "cezanne train: --resume " + ckpt + ": checkpoint of 'maml' cannot be loaded into 'protonet'");
  std::string wider = small_run(store(), run);
  wider.replace(wider.find("--filters 8"), 11, "--filters 16");
  expect_refused(wider + " --resume " + ckpt, 2,
                 "cezanne train: --resume " + ckpt +
                     ": checkpoint of 'maml': parameter 0 is 'block0.conv.weight' [8, 1, 3, 3], this "
                     "learner expects 'block0.conv.weight' [16, 1, 3, 3]");
  expect_refused(small_run(store(), run) + " --seed 7 --resume " + ckpt, 2,
                 "cezanne train: --resume " + ckpt + ": written by another run: --seed 0 (checkpoint) vs 7");
  EXPECT_FALSE(fs::exists(run / "metrics.csv"));
}

TEST_F(TrainBadInput, ExistingRunWithoutResume) {
  expect_refused(small_run(store(), reference()), 2,
                 "cezanne train: --out " + reference().string() +
                     ": already holds a run (metrics.csv); pass --resume auto to continue it, or "
                     "choose another --out");
  EXPECT_EQ(metrics_rows(reference()), 6);
}

}  // namespace
}  // namespace cz::train::testing
