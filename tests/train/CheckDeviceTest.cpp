// train, eval and checkpoints on the checking device (host memory that code above the backend
// may not read; its kernels are the CPU's): every run ends bitwise equal to the CPU's, a run
// stopped and resumed on it too, and eval prints the same line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;

class CheckDevice : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("check-device");
    make_store(root_->path / "store");
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path dir(const std::string& name) { return root_->path / name; }

  // 4 steps of `algo` (and `extra`) on `device` into dir(name).
  static std::string run(const std::string& name, const std::string& algo,
                         const std::string& device, const std::string& extra = "") {
    std::vector<std::pair<std::string, std::string>> options{{"--algo", algo},
                                                             {"--store", store().string()},
                                                             {"--out", dir(name).string()},
                                                             {"--filters", "8"},
                                                             {"--meta-batch", "4"},
                                                             {"--steps", "4"},
                                                             {"--checkpoint-every", "2"},
                                                             {"--val-every", "2"},
                                                             {"--val-episodes", "4"},
                                                             {"--lr", "0.01"},
                                                             {"--threads", "1"},
                                                             {"--device", device}};
    if (algo == "multitask") {
      options.insert(options.end(), {{"--examples-per-task", "6"}, {"--example-split", "4/1/1"}});
    } else if (algo == "vae") {
      options.insert(options.end(), {{"--model", "mlp"}, {"--hidden", "16"}, {"--latent", "4"},
                                     {"--examples-per-task", "6"}, {"--iwae-samples", "5"}});
    } else {
      options.insert(options.end(), {{"--ways", "3"}, {"--shots", "1"}, {"--queries", "2"}});
    }
    return train_args(options, extra, {"--memory"});
  }

  static TempDir* root_;
};
TempDir* CheckDevice::root_ = nullptr;

TEST_F(CheckDevice, EveryKindOfRunEndsBitwiseEqualToTheCpus) {
  const std::vector<std::pair<std::string, std::string>> runs{
      {"maml", "--inner-steps 2"},
      {"protonet", ""},
      {"mann", "--memory --hidden 8"},
      {"multitask", "--weighting pcgrad --conditioning film"},
      {"multitask", "--weighting uncertainty"},
      {"vae", "--likelihood gaussian"}};
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& [algo, extra] = runs[i];
    const std::string cpu = "cpu" + std::to_string(i), check = "check" + std::to_string(i);
    SpawnResult r = cezanne(run(cpu, algo, "cpu", extra));
    ASSERT_EQ(r.status, 0) << r.output;
    r = cezanne(run(check, algo, "check", extra));
    ASSERT_EQ(r.status, 0) << algo << " " << extra << ": " << r.output;
    expect_same_state(dir(cpu) / "checkpoint-00000004.h5", dir(check) / "checkpoint-00000004.h5");
  }
}

TEST_F(CheckDevice, StoppedAndResumedRunAndItsEvalMatchTheCpu) {
  ASSERT_EQ(cezanne(run("whole", "maml", "cpu")).status, 0);
  SpawnResult r = cezanne(run("parts", "maml", "check", "--stop-after 2"));
  ASSERT_EQ(r.status, 75) << r.output;
  r = cezanne(run("parts", "maml", "check", "--resume auto"));
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_state(dir("whole") / "checkpoint-00000004.h5",
                    dir("parts") / "checkpoint-00000004.h5");

  const std::string eval = "eval --checkpoint " +
                           (dir("parts") / "checkpoint-00000004.h5").string() +
                           " --episodes 6 --queries 2 --threads 1 --device ";
  const SpawnResult on_cpu = cezanne(eval + "cpu"), on_check = cezanne(eval + "check");
  ASSERT_EQ(on_cpu.status, 0) << on_cpu.output;
  ASSERT_EQ(on_check.status, 0) << on_check.output;
  EXPECT_THAT(on_cpu.output, HasSubstr("\"mean\":"));
  EXPECT_EQ(on_check.output, on_cpu.output);
}

TEST_F(CheckDevice, TwoRanksReduceThroughAHostCopyAndMatchTheCpu) {
  // MPI moves host memory: the reducer and the parameter broadcast stage the check tensors.
  for (const std::string& algo : {std::string("maml"), std::string("multitask")}) {
    SpawnResult r = cezanne(run("np2-cpu-" + algo, algo, "cpu"), 240.0, dist::test::mpirun(2));
    ASSERT_EQ(r.status, 0) << r.output;
    r = cezanne(run("np2-check-" + algo, algo, "check"), 240.0, dist::test::mpirun(2));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("on 2 rank(s)"));
    expect_same_state(dir("np2-cpu-" + algo) / "checkpoint-00000004.h5",
                      dir("np2-check-" + algo) / "checkpoint-00000004.h5");
  }
}

TEST_F(CheckDevice, TwoRanksOverlappedThroughAHostCopyMatchTheCpu) {
  // --overlap on with a device gradient and MPI: the reducer defers the whole buffer to the end
  // of backward and moves it through the host copies, with the blocking path's bits.
  SpawnResult r = cezanne(run("np2-cpu-overlap", "maml", "cpu", "--overlap on --bucket-kb 1"), 240.0, dist::test::mpirun(2));
  ASSERT_EQ(r.status, 0) << r.output;
  r = cezanne(run("np2-check-overlap", "maml", "check", "--overlap on --bucket-kb 1"), 240.0, dist::test::mpirun(2));
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_state(dir("np2-cpu-overlap") / "checkpoint-00000004.h5", dir("np2-check-overlap") / "checkpoint-00000004.h5");
}

TEST_F(CheckDevice, AnUnknownOrUnbuiltDeviceIsOneLineExitTwo) {
  SpawnResult r = cezanne(run("bad", "protonet", "gpu"));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(
      r.output,
      "cezanne train: --device: unknown device 'gpu' (expected cpu, cuda[:N] or check[:N])\n");
  r = cezanne(run("bad", "protonet", "check:2"));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output,
            "cezanne train: --device: no backend for device check:2 (check:0 and check:1 exist)\n");
  EXPECT_FALSE(fs::exists(dir("bad")));
}

}  // namespace
}  // namespace cz::train::testing
