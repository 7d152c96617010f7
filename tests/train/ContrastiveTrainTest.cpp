// `cezanne train --algo triplet|nt_xent|moco` end to end on a tiny glyph store: the validation
// loss falls, checkpoints and `cezanne eval`, MoCo resumed bitwise (queue and key encoder
// included), global negatives on 2 ranks as on 1, and the refusals of bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;

class ContrastiveTrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("contrastive-train");
    make_store(store());
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path dir(const std::string& name) { return root_->path / name; }

  static std::string run(const std::string& algo, const std::string& name, const std::string& extra = "") {
    return train_args({{"--algo", algo},
                       {"--store", store().string()},
                       {"--out", dir(name).string()},
                       {"--filters", "8"},
                       {"--projection", "16"},
                       {"--meta-batch", "4"},
                       {"--examples-per-task", "8"},
                       {"--queue", "64"},
                       {"--momentum", "0.9"},
                       {"--steps", "40"},
                       {"--checkpoint-every", "20"},
                       {"--val-every", "10"},
                       {"--val-episodes", "6"},
                       {"--lr", "0.01"},
                       {"--threads", "1"}},
                      extra);
  }

  // Every "validation NAME_loss X" of a run's output, in order.
  static std::vector<double> validations(const std::string& output, const std::string& algo) {
    std::vector<double> out;
    const std::regex line("validation " + algo + "_loss ([-0-9.]+)");
    for (auto it = std::sregex_iterator(output.begin(), output.end(), line); it != std::sregex_iterator(); ++it)
      out.push_back(std::stod((*it)[1]));
    return out;
  }

  static TempDir* root_;
};
TempDir* ContrastiveTrain::root_ = nullptr;

// The validation rows are fixed (the same examples and views at every validation), so their
// loss falling is the training working, not a luckier batch. MoCo's first steps are easy (the
// initial queue is random unit vectors), so its loss is compared from step 10, the queue full.
TEST_F(ContrastiveTrain, EachAlgorithmsValidationLossFallsAndItsCheckpointEvaluates) {
  for (const std::string algo : {"triplet", "nt_xent", "moco"}) {
    const SpawnResult r = cezanne(run(algo, algo));
    ASSERT_EQ(r.status, 0) << r.output;
    const std::vector<double> v = validations(r.output, algo);
    ASSERT_EQ(v.size(), 4u) << r.output;
    EXPECT_LT(v.back(), v.front()) << algo << "\n" << r.output;
    const fs::path ckpt = dir(algo) / "checkpoint-00000040.h5";
    const Checkpoint c = read_checkpoint(ckpt);
    EXPECT_EQ(c.algorithm, algo);
    const SpawnResult e = cezanne("eval --checkpoint " + ckpt.string() + " --episodes 4 --threads 1");
    ASSERT_EQ(e.status, 0) << e.output;
    EXPECT_THAT(e.output, HasSubstr("\"algo\":\"" + algo + "\""));
    EXPECT_THAT(e.output, HasSubstr("\"rows\":4,\"examples_per_row\":8,\"" + algo + "_loss\":{\"mean\":"));
  }
  EXPECT_EQ(read_checkpoint(dir("triplet") / "checkpoint-00000040.h5").model,
            "triplet conv4 filters=8 channels=1 image=28 projection=16 margin=0.2 mining=semi-hard negatives=local");
  const Checkpoint moco = read_checkpoint(dir("moco") / "checkpoint-00000040.h5");
  EXPECT_EQ(moco.model, "moco conv4 filters=8 channels=1 image=28 projection=16 temperature=0.5 queue=64 momentum=0.9");
  ASSERT_FALSE(moco.state.empty());
  EXPECT_EQ(moco.state.back().first, "moco.next");
  EXPECT_EQ(moco.state.back().second.to_vector(), std::vector<double>{(40 * 32) % 64});
}

TEST_F(ContrastiveTrain, MocoResumesBitwiseWithItsQueueAndKeyEncoder) {
  SpawnResult r = cezanne(run("moco", "moco-whole", "--steps 6 --val-every 0"));
  ASSERT_EQ(r.status, 0) << r.output;
  r = cezanne(run("moco", "moco-parts", "--steps 6 --val-every 0 --checkpoint-every 3 --stop-after 3"));
  ASSERT_EQ(r.status, 75) << r.output;
  r = cezanne(run("moco", "moco-parts", "--steps 6 --val-every 0 --checkpoint-every 3 --resume auto"));
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_state(dir("moco-whole") / "checkpoint-00000006.h5", dir("moco-parts") / "checkpoint-00000006.h5");
  const Checkpoint c = read_checkpoint(dir("moco-parts") / "checkpoint-00000006.h5");
  // 16 key-encoder tensors (Conv4's blocks) + 4 of the projection head, the queue, its position.
  EXPECT_EQ(c.state.size(), 22u);
  EXPECT_EQ(c.state[0].first, "moco.key.block0.conv.weight");
}

// Global negatives: each rank's gradient is its slice's of the whole batch, so 2 ranks train the
// model 1 rank does (within f32 round-off: the reducer sums in another order). Conv4's
// convolution biases are left out: batch norm follows them, so their gradient is zero but for
// round-off, whose sign Adam's normalized steps turn into +-lr either way.
TEST_F(ContrastiveTrain, GlobalNegativesOnTwoRanksTrainTheModelOfOne) {
  for (const std::string algo : {"nt_xent", "triplet"}) {
    const std::string extra = "--negatives global --steps 3 --val-every 0 --checkpoint-every 3";
    SpawnResult r = cezanne(run(algo, algo + "-one", extra));
    ASSERT_EQ(r.status, 0) << r.output;
    r = cezanne(run(algo, algo + "-two", extra), 240.0, dist::test::mpirun(2));
    ASSERT_EQ(r.status, 0) << r.output;
    const Checkpoint a = read_checkpoint(dir(algo + "-one") / "checkpoint-00000003.h5");
    const Checkpoint b = read_checkpoint(dir(algo + "-two") / "checkpoint-00000003.h5");
    ASSERT_EQ(a.params.size(), b.params.size());
    for (size_t i = 0; i < a.params.size(); ++i) {
      const std::string& name = a.params[i].first;
      if (name.ends_with(".conv.bias")) continue;
      const std::vector<double> x = a.params[i].second.to_vector(), y = b.params[i].second.to_vector();
      for (size_t k = 0; k < x.size(); ++k)
        ASSERT_NEAR(x[k], y[k], 1e-5 * (1 + std::abs(x[k]))) << algo << " " << name << " element " << k;
    }
  }
}

TEST_F(ContrastiveTrain, RefusesBadInputInOneLine) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases{
      {"moco", "--queue 100",
       "cezanne train: --queue: 100 keys are not a multiple of the global batch, --meta-batch 4 x "
       "--examples-per-task 8 = 32 keys per step"},
      {"moco", "--negatives global", "cezanne train: --negatives: global is for --algo triplet or nt_xent, got 'moco'"},
      {"moco", "--momentum 1", "cezanne train: --momentum: must be below 1, got 1"},
      {"triplet", "--mining hard", "cezanne train: --mining: none, hardest or semi-hard, got 'hard'"},
      {"triplet", "--margin -0.5", "cezanne train: --margin: must be in [0, 1000], got -0.5"},
      {"nt_xent", "--contrast-temperature 0", "cezanne train: --contrast-temperature: must be in (0, 1000], got 0"},
      {"nt_xent", "--negatives all", "cezanne train: --negatives: local or global, got 'all'"},
      {"nt_xent", "--model mlp", "cezanne train: --model: --algo nt_xent needs conv4, got 'mlp'"},
      {"nt_xent", "--negatives global --overlap on",
       "cezanne train: --overlap: on is for losses without a collective in their backward; --negatives global "
       "gathers there: use --overlap off"},
      {"nt_xent", "--augment rotation=400",
       "cezanne train: --augment: rotation must be in [0, 180], got 400"},
  };
  for (const auto& [algo, extra, message] : cases) {
    const SpawnResult r = cezanne(run(algo, "refused", extra), 60.0);
    EXPECT_EQ(r.status, 2) << extra;
    EXPECT_EQ(r.output, message + "\n") << extra;
    EXPECT_FALSE(fs::exists(dir("refused"))) << extra;
  }
  // A batch too small for a negative: known once the ranks are (the run directory exists).
  const std::vector<std::tuple<std::string, std::string, std::string>> small{
      {"nt_xent", "--meta-batch 1 --examples-per-task 1",
       "cezanne train: --examples-per-task: --meta-batch 1 rows of 1 on 1 rank(s) give a rank 1 example(s) and no "
       "negative; nt_xent with --negatives local needs at least 2 examples on every rank"},
      {"triplet", "--meta-batch 1 --examples-per-task 1 --negatives global",
       "cezanne train: --examples-per-task: a batch of 1 example(s) has no negative; triplet needs at least 2 "
       "examples per step"}};
  for (const auto& [algo, extra, message] : small) {
    const SpawnResult r = cezanne(run(algo, "small-" + algo, extra), 60.0);
    EXPECT_EQ(r.status, 2) << extra;
    EXPECT_EQ(r.output, message + "\n") << extra;
  }
  const SpawnResult r = cezanne(run("nt_xent", "small-two", "--meta-batch 1 --negatives global"), 60.0,
                                dist::test::mpirun(2));
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, HasSubstr("cezanne train: --meta-batch: 1 rows on 2 ranks leave a rank without examples; "
                                  "--negatives global needs a row on every rank"));
}

}  // namespace
}  // namespace cz::train::testing
