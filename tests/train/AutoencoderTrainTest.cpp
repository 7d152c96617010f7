// `cezanne train --algo autoencoder` end to end on a tiny glyph store: the reconstruction error
// falls (plain and denoising), the encoder loads into Conv4, bad input is refused in one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;

class AutoencoderTrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("autoencoder-train");
    make_store(store());
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path dir(const std::string& name) { return root_->path / name; }

  static std::string run(const std::string& name, const std::string& extra = "") {
    return train_args({{"--algo", "autoencoder"},
                       {"--store", store().string()},
                       {"--out", dir(name).string()},
                       {"--filters", "8"},
                       {"--bottleneck", "16"},
                       {"--meta-batch", "4"},
                       {"--examples-per-task", "8"},
                       {"--steps", "40"},
                       {"--checkpoint-every", "40"},
                       {"--val-every", "20"},
                       {"--val-episodes", "8"},
                       {"--lr", "0.003"},
                       {"--threads", "1"}},
                      extra);
  }

  // The mean training loss (metrics.csv's second column) of the first and of the last 5 steps.
  static std::pair<double, double> first_and_last(const fs::path& run) {
    std::ifstream in(run / "metrics.csv");
    std::vector<double> l;
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) l.push_back(std::stod(line.substr(line.find(',') + 1)));
    double first = 0, last = 0;
    for (size_t i = 0; i < 5 && l.size() >= 5; ++i) first += l[i] / 5, last += l[l.size() - 1 - i] / 5;
    return {first, last};
  }

  static TempDir* root_;
};
TempDir* AutoencoderTrain::root_ = nullptr;

TEST_F(AutoencoderTrain, ReconstructionErrorFallsPlainAndDenoising) {
  for (const std::string noise : {"0", "0.3"}) {
    const std::string name = "noise-" + noise;
    SpawnResult r = cezanne(run(name, "--noise " + noise));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("validation reconstruction_mse"));
    const auto [first, last] = first_and_last(dir(name));
    EXPECT_LT(last, 0.75 * first) << "noise " << noise << ": " << first << " -> " << last;
    const Checkpoint c = read_checkpoint(dir(name) / "checkpoint-00000040.h5");
    EXPECT_EQ(c.algorithm, "autoencoder");
    EXPECT_EQ(c.model, "autoencoder conv4 filters=8 channels=1 image=28 bottleneck=16 noise=" + noise);
  }
  const fs::path ckpt = dir("noise-0.3") / "checkpoint-00000040.h5";
  SpawnResult r = cezanne("eval --checkpoint " + ckpt.string() + " --episodes 6 --threads 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"examples\":6,\"reconstruction_mse\":{\"mean\":"));
  r = cezanne("train --algo protonet --store " + store().string() + " --out " + dir("protonet").string() +
              " --filters 8 --ways 3 --shots 1 --queries 2 --meta-batch 2 --steps 1 --val-episodes 2 --threads 1" +
              " --init-from " + ckpt.string() + " --init-params block*");
  ASSERT_EQ(r.status, 0) << r.output;
}

TEST_F(AutoencoderTrain, RefusesBadInputInOneLine) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"--noise -1", "cezanne train: --noise: must be in [0, 1000000], got -1"},
      {"--bottleneck 0", "cezanne train: --bottleneck: must be in [1, 4096], got 0"},
      {"--model vit", "cezanne train: --model: --algo autoencoder is convolutional: conv4, got 'vit'"},
  };
  for (const auto& [extra, message] : cases) {
    const SpawnResult r = cezanne(run("refused", extra));
    EXPECT_EQ(r.status, 2) << extra;
    EXPECT_EQ(r.output, message + "\n") << extra;
  }
}

}  // namespace
}  // namespace cz::train::testing
