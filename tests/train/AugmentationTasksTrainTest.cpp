// `cezanne train --pseudo-tasks augmentation`: ProtoNets and MAML meta-train on augmentation
// tasks of the train split's unlabelled examples, resume bitwise, agree across rank counts, and
// are evaluated on real test episodes; bad options are refused in one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "TrainFixtures.hpp"
#include "cezanne/train/TrainConfig.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;

class AugmentationTasksTrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("augmentation-tasks-train");
    make_store(store());
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path dir(const std::string& name) { return root_->path / name; }

  static std::string run(const std::string& name, const std::string& extra = "") {
    return train_args({{"--algo", "protonet"},
                       {"--store", store().string()},
                       {"--out", dir(name).string()},
                       {"--pseudo-tasks", "augmentation"},
                       {"--filters", "8"},
                       {"--ways", "3"},
                       {"--shots", "1"},
                       {"--queries", "2"},
                       {"--meta-batch", "4"},
                       {"--steps", "4"},
                       {"--checkpoint-every", "2"},
                       {"--val-every", "2"},
                       {"--val-episodes", "4"},
                       {"--lr", "0.01"},
                       {"--threads", "1"}},
                      extra);
  }

  static TempDir* root_;
};
TempDir* AugmentationTasksTrain::root_ = nullptr;

TEST_F(AugmentationTasksTrain, ProtoNetsTrainResumeBitwiseAndEvaluateOnRealEpisodes) {
  SpawnResult r = cezanne(run("whole"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("validation accuracy"));
  EXPECT_EQ(metrics_rows(dir("whole")), 4);
  const fs::path last = dir("whole") / "checkpoint-00000004.h5";
  const Checkpoint c = read_checkpoint(last);
  EXPECT_EQ(c.algorithm, "protonet");
  const TrainConfig config = from_pairs(c.config);
  EXPECT_EQ(config.pseudo_tasks, "augmentation");
  EXPECT_EQ(config.augment, "default");

  // The tasks are a pure function of (seed, step, task index): a stop and a resume reach the
  // same state bit for bit.
  r = cezanne(run("parts", "--stop-after 2"));
  ASSERT_EQ(r.status, 75) << r.output;
  r = cezanne(run("parts", "--resume auto"));
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_state(last, dir("parts") / "checkpoint-00000004.h5");

  // Other augmentations make another run.
  r = cezanne(run("plain", "--augment none"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_GT(max_difference(last, dir("plain") / "checkpoint-00000004.h5"), 0.0);

  // Evaluation: real N-way K-shot episodes of the held-out test classes, as for any checkpoint.
  r = cezanne("eval --checkpoint " + last.string() + " --episodes 6 --queries 2 --threads 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"algo\":\"protonet\",\"step\":4,\"split\":\"test\",\"ways\":3"));
  EXPECT_THAT(r.output, HasSubstr("\"episodes\":6"));
}

TEST_F(AugmentationTasksTrain, MamlTrainsOnAugmentationTasks) {
  const SpawnResult r = cezanne(run("maml", "--algo maml --steps 2 --inner-lr 0.1"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir("maml") / "checkpoint-00000002.h5"));
  EXPECT_EQ(read_checkpoint(dir("maml") / "checkpoint-00000002.h5").algorithm, "maml");
}

// Each rank draws its tasks, their examples and their views by global task index: 2 ranks reach
// the parameters of 1 (within round-off: the reducer sums in another order).
TEST_F(AugmentationTasksTrain, TwoRanksTrainTheSameModelAsOne) {
  SpawnResult r = cezanne(run("one-rank", "--steps 2"));
  ASSERT_EQ(r.status, 0) << r.output;
  r = cezanne(run("two-ranks", "--steps 2"), 240.0, dist::test::mpirun(2));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_LT(max_difference(dir("one-rank") / "checkpoint-00000002.h5", dir("two-ranks") / "checkpoint-00000002.h5"),
            1e-5);
}

TEST_F(AugmentationTasksTrain, RefusesBadInputInOneLine) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"--pseudo-tasks clusters", "cezanne train: --pseudo-tasks: none, augmentation or cactus, got 'clusters'"},
      {"--augment rotation=200", "cezanne train: --augment: rotation must be in [0, 180], got 200"},
      {"--augment noise_p=2", "cezanne train: --augment: noise_p must be in [0, 1], got 2"},
      {"--augment sharpness=1", "cezanne train: --augment: unknown field 'sharpness'"},
      {"--pseudo-tasks none --augment noise=0.1", "cezanne train: --augment: only with --pseudo-tasks augmentation or --algo triplet, nt_xent, moco"},
      {"--within-domain true", "cezanne train: --within-domain: has no meaning with --pseudo-tasks augmentation (a class is one example)"},
      {"--rotations true", "cezanne train: --rotations: has no meaning with --pseudo-tasks augmentation (a class is one example)"},
      {"--algo multitask",
       "cezanne train: --pseudo-tasks: augmentation tasks are episodes of a --store's images, for an episodic --algo "
       "with --model conv4; got --algo multitask --model conv4"}};
  for (const auto& [extra, message] : cases) {
    const SpawnResult r = cezanne(run("refused", extra), 60.0);
    EXPECT_EQ(r.status, 2) << extra;
    EXPECT_EQ(r.output, message + "\n") << extra;
    EXPECT_FALSE(fs::exists(dir("refused"))) << extra;
  }
}

}  // namespace
}  // namespace cz::train::testing
