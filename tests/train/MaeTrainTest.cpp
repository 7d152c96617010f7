// `cezanne train --algo mae` and `--model vit` end to end on a tiny glyph store: the masked
// autoencoder's loss falls, its checkpoint evaluates, its encoder loads into a ProtoNets ViT,
// 2 ranks train it as 1 does, and bad input is refused in one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;

class MaeTrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("mae-train");
    make_store(store());
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path dir(const std::string& name) { return root_->path / name; }

  static std::string run(const std::string& name, const std::string& extra = "") {
    return train_args({{"--algo", "mae"},
                       {"--model", "vit"},
                       {"--store", store().string()},
                       {"--out", dir(name).string()},
                       {"--dim", "16"},
                       {"--depth", "1"},
                       {"--heads", "2"},
                       {"--decoder-dim", "8"},
                       {"--decoder-depth", "1"},
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

  // The training losses of RUN/metrics.csv (its second column), in step order.
  static std::vector<double> losses(const fs::path& run) {
    std::ifstream in(run / "metrics.csv");
    std::vector<double> out;
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) out.push_back(std::stod(line.substr(line.find(',') + 1)));
    return out;
  }

  static TempDir* root_;
};
TempDir* MaeTrain::root_ = nullptr;

TEST_F(MaeTrain, LossFallsAndTheEncoderTransfersIntoAVitProtoNet) {
  SpawnResult r = cezanne(run("mae"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("validation masked_mse"));
  const std::vector<double> l = losses(dir("mae"));
  ASSERT_EQ(l.size(), 40u);
  double first = 0, last = 0;
  for (size_t i = 0; i < 5; ++i) first += l[i] / 5, last += l[l.size() - 1 - i] / 5;
  EXPECT_LT(last, 0.5 * first) << "the masked patches' MSE falls: " << first << " -> " << last;
  const fs::path ckpt = dir("mae") / "checkpoint-00000040.h5";
  const Checkpoint c = read_checkpoint(ckpt);
  EXPECT_EQ(c.algorithm, "mae");
  EXPECT_EQ(c.model, "mae vit patch=7 dim=16 depth=1 heads=2 mlp-ratio=4 decoder-dim=8 decoder-depth=1 mask-ratio=0.75");
  EXPECT_EQ(c.params.front().first, "patch.weight");

  r = cezanne("eval --checkpoint " + ckpt.string() + " --episodes 6 --threads 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"algo\":\"mae\""));
  EXPECT_THAT(r.output, HasSubstr("\"examples\":6,\"masked_mse\":{\"mean\":"));

  // The encoder (every parameter the ViT has but its head) into a ProtoNets ViT.
  r = cezanne("train --algo protonet --model vit --dim 16 --depth 1 --heads 2 --store " + store().string() +
              " --out " + dir("protonet").string() +
              " --ways 3 --shots 1 --queries 2 --meta-batch 2 --steps 2 --val-episodes 2 --threads 1 --init-from " +
              ckpt.string() + " --init-params patch.*,pos,block*,norm.*");
  ASSERT_EQ(r.status, 0) << r.output;
  const Checkpoint protonet = read_checkpoint(dir("protonet") / "checkpoint-00000002.h5");
  EXPECT_EQ(protonet.model, "vit patch=7 dim=16 depth=1 heads=2 mlp-ratio=4 channels=1 image=28 ways=3");
  EXPECT_EQ(protonet.params[2].first, "pos");
  EXPECT_EQ(protonet.params[2].second.shape(), (Shape{16, 16}));
}

// Each rank draws its rows and their masks by global slot: 2 ranks log the losses of 1 and
// reach its parameters (within round-off: the reducer sums in another order). Except the keys'
// biases (the middle third of attn.qkv.bias): softmax ignores a shift shared by every key, so
// their gradient is round-off alone, which Adam scales up to steps of size lr.
TEST_F(MaeTrain, TwoRanksTrainTheSameModelAsOne) {
  SpawnResult r = cezanne(run("one-rank", "--meta-batch 3 --steps 3 --checkpoint-every 3 --val-every 0"));
  ASSERT_EQ(r.status, 0) << r.output;
  r = cezanne(run("two-ranks", "--meta-batch 3 --steps 3 --checkpoint-every 3 --val-every 0"), 240.0,
              dist::test::mpirun(2));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(losses(dir("one-rank")), losses(dir("two-ranks")));
  const Checkpoint a = read_checkpoint(dir("one-rank") / "checkpoint-00000003.h5");
  const Checkpoint b = read_checkpoint(dir("two-ranks") / "checkpoint-00000003.h5");
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i) {
    const std::string& name = a.params[i].first;
    const std::vector<double> x = a.params[i].second.to_vector(), y = b.params[i].second.to_vector();
    const bool qkv_bias = name.size() > 13 && name.substr(name.size() - 13) == "attn.qkv.bias";
    for (size_t k = 0; k < x.size(); ++k) {
      if (qkv_bias && k >= x.size() / 3 && k < 2 * x.size() / 3) continue;
      ASSERT_NEAR(x[k], y[k], 1e-5 * (1 + std::abs(x[k]))) << name << " element " << k;
    }
  }
}

TEST_F(MaeTrain, RefusesBadInputInOneLine) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"--mask-ratio 1", "cezanne train: --mask-ratio: must be in (0, 1), got 1"},
      {"--mask-ratio 0", "cezanne train: --mask-ratio: must be in (0, 1), got 0"},
      {"--mask-ratio 0.99", "cezanne train: --mask-ratio: 0.99 masks 16 of 16 patches; at least one must be masked and one visible"},
      {"--heads 3", "cezanne train: --heads: 3 heads do not divide --dim 16"},
      {"--patch 5", "cezanne train: --patch: 5 does not divide the image side 28"},
      {"--model conv4", "cezanne train: --model: --algo mae is a vision transformer: vit, got 'conv4'"},
      {"--depth 0", "cezanne train: --depth: must be in [1, 64], got 0"},
  };
  for (const auto& [extra, message] : cases) {
    const SpawnResult r = cezanne(run("refused", extra));
    EXPECT_EQ(r.status, 2) << extra;
    EXPECT_EQ(r.output, message + "\n") << extra;
  }
}

}  // namespace
}  // namespace cz::train::testing
