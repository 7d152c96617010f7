// `cezanne eval` with calibration: ECE and the reliability diagram for classifiers (versa,
// protonet), NLL and 95% coverage for regressors (neural_process; null for MAML's point
// estimate), and the exact messages of bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;

class CalibrationCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("calibration");
    make_store(root_->path / "store");
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path path(const std::string& name) { return root_->path / name; }
  static TempDir* root_;
};
TempDir* CalibrationCli::root_ = nullptr;

TEST_F(CalibrationCli, ClassifiersReportEceAndDrawTheReliabilityDiagram) {
  for (const std::string algo : {"versa", "protonet"}) {
    const fs::path run = path(algo);
    const SpawnResult t = cezanne("train --algo " + algo + " --store " + path("store").string() + " --out " + run.string() +
                                  " --filters 8 --ways 3 --shots 1 --queries 2 --meta-batch 4 --steps 4 --samples 4 --threads 1");
    ASSERT_EQ(t.status, 0) << t.output;
    const std::string ckpt = (run / "checkpoint-00000004.h5").string();
    const fs::path png = path(algo + ".png");
    const SpawnResult e = cezanne("eval --checkpoint " + ckpt + " --episodes 12 --queries 2 --threads 1 --reliability " + png.string());
    ASSERT_EQ(e.status, 0) << e.output;
    EXPECT_THAT(e.output, HasSubstr("\"metric\":\"accuracy\",\"mean\":"));
    EXPECT_THAT(e.output, HasSubstr(",\"ece\":"));
    EXPECT_THAT(e.output, HasSubstr(",\"confidence\":"));
    EXPECT_EQ(e.output.find("coverage95"), std::string::npos);
    std::ifstream in(png, std::ios::binary);
    char magic[8] = {};
    in.read(magic, 8);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG") << algo;
    // Predictions are deterministic (versa averages over its heads exactly): the same figures again.
    EXPECT_EQ(cezanne("eval --checkpoint " + ckpt + " --episodes 12 --queries 2 --threads 1").output,
              e.output.substr(0, e.output.find('\n') + 1));
  }
}

// Sampled heads and latents are keyed by the global task index: 2 ranks train the model 1 rank
// trains (to round-off: the reduction's order differs) and evaluate a checkpoint to the same line.
TEST_F(CalibrationCli, TwoRanksTrainAndEvaluateAsOne) {
  struct Run {
    std::string algo, options, eval_options;
  };
  for (const auto& [algo, options, eval_options] :
       {Run{"versa", "--store " + path("store").string() + " --filters 8 --ways 3 --shots 1 --queries 2", " --queries 2"},
        Run{"neural_process", "--model mlp --hidden 8 --shots 5 --queries 5", ""}}) {
    auto train = [&](const std::string& name, const std::vector<std::string>& launcher) {
      const SpawnResult t = cezanne("train --algo " + algo + " " + options + " --meta-batch 4 --steps 3 --samples 3" +
                                        " --val-every 0 --threads 1 --out " + path(name).string(),
                                    240.0, launcher);
      EXPECT_EQ(t.status, 0) << t.output;
      return path(name) / "checkpoint-00000003.h5";
    };
    const fs::path one = train(algo + "-np1", {}), two = train(algo + "-np2", dist::test::mpirun(2));
    EXPECT_LT(max_difference(one, two), 1e-5) << algo;
    const std::string eval = "eval --checkpoint " + one.string() + " --episodes 8 --threads 1" + eval_options;
    const std::string a = cezanne(eval).output, b = cezanne(eval, 240.0, dist::test::mpirun(2)).output;
    EXPECT_EQ(a.substr(0, a.find("\"ranks\"")), b.substr(0, b.find("\"ranks\""))) << algo;
    EXPECT_THAT(b, HasSubstr("\"ranks\":2")) << algo;
  }
}

TEST_F(CalibrationCli, RegressorsReportNllAndCoverage) {
  const fs::path np = path("np"), maml = path("maml");
  SpawnResult t = cezanne("train --algo neural_process --model mlp --hidden 8 --shots 5 --queries 5 --meta-batch 4 --steps 4 --samples 3 --threads 1 --out " + np.string());
  ASSERT_EQ(t.status, 0) << t.output;
  SpawnResult e = cezanne("eval --checkpoint " + (np / "checkpoint-00000004.h5").string() + " --episodes 10 --threads 1");
  ASSERT_EQ(e.status, 0) << e.output;
  EXPECT_THAT(e.output, HasSubstr("\"metric\":\"mse\",\"mean\":"));
  EXPECT_THAT(e.output, HasSubstr(",\"nll\":"));
  EXPECT_THAT(e.output, HasSubstr(",\"coverage95\":"));
  EXPECT_EQ(e.output.find("\"nll\":null"), std::string::npos);
  const SpawnResult png = cezanne("eval --checkpoint " + (np / "checkpoint-00000004.h5").string() + " --reliability " + path("r.png").string());
  EXPECT_EQ(png.status, 2);
  EXPECT_EQ(png.output, "cezanne eval: --reliability: for a classifier checkpoint (its class probabilities), not a regression one\n");
  t = cezanne("train --algo maml --model mlp --shots 5 --queries 5 --meta-batch 4 --inner-lr 0.01 --steps 2 --threads 1 --out " + maml.string());
  ASSERT_EQ(t.status, 0) << t.output;
  e = cezanne("eval --checkpoint " + (maml / "checkpoint-00000002.h5").string() + " --episodes 10 --threads 1");
  ASSERT_EQ(e.status, 0) << e.output;
  EXPECT_THAT(e.output, HasSubstr(",\"nll\":null,\"nll_ci95\":null,\"coverage95\":null,\"coverage95_ci95\":null,"));
}

TEST_F(CalibrationCli, BadInputIsOneLine) {
  SpawnResult r = cezanne("train --algo versa --store " + path("store").string() + " --out " + path("bad").string() + " --samples 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "cezanne train: --samples: must be in [1, 10000], got 0\n");
  r = cezanne("train --algo versa --store " + path("store").string() + " --out " + path("bad").string() + " --beta -1");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "cezanne train: --beta: must be in [0, 1000000], got -1\n");
  EXPECT_FALSE(fs::exists(path("bad")));
  r = cezanne("train --algo neural_process --store " + path("store").string() + " --out " + path("bad").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "cezanne train: --model: --algo neural_process is sinusoid regression: mlp, got 'conv4'\n");
  r = cezanne("eval --baseline pixels --store " + path("store").string() + " --ways 3 --queries 2 --reliability " + path("b.png").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "cezanne eval: --reliability: for a classifier checkpoint (its class probabilities), not the baseline\n");
}

}  // namespace
}  // namespace cz::train::testing
