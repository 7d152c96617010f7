// `cezanne train --algo multitask` end to end on a tiny store: exact resume with persistent
// state, gradient surgery equal at any rank count, every rank in every collective when ranks
// outnumber rows, per-task evaluation and plot, and bad input refused in one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class MultiTaskTrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("multitask");
    make_store(root_->path / "store");
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path dir(const std::string& name) { return root_->path / name; }

  /// A small multi-task run: 12 writing systems of 8 characters, 6 examples each split 4/1/1;
  /// `extra` adds options or replaces these ("--meta-batch 2").
  static std::string run(const fs::path& out, const std::string& extra = "") {
    const std::vector<std::pair<std::string, std::string>> options{
        {"--algo", "multitask"}, {"--store", store().string()}, {"--out", out.string()},
        {"--filters", "8"}, {"--meta-batch", "4"}, {"--examples-per-task", "6"},
        {"--example-split", "4/1/1"}, {"--steps", "6"}, {"--checkpoint-every", "2"},
        {"--val-every", "3"}, {"--lr", "0.01"}, {"--threads", "1"}};
    return train_args(options, extra);
  }
  static std::vector<std::string> ranks(int np) { return dist::test::mpirun(np); }

  static TempDir* root_;
};
TempDir* MultiTaskTrain::root_ = nullptr;

TEST_F(MultiTaskTrain, ResumedRunEndsBitwiseEqualToUninterruptedStateIncluded) {
  const std::string worst = "--weighting worst_task --conditioning film";
  SpawnResult r = cezanne(run(dir("whole"), worst));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("training multitask on 1 rank(s)"));
  EXPECT_THAT(r.output, HasSubstr("validation mean task accuracy"));
  EXPECT_THAT(r.output, HasSubstr("(12 tasks)"));
  r = cezanne(run(dir("halves"), worst) + " --stop-after 3");
  ASSERT_EQ(r.status, 75) << r.output;
  r = cezanne(run(dir("halves"), worst) + " --resume auto");
  ASSERT_EQ(r.status, 0) << r.output;
  const fs::path a = dir("whole") / "checkpoint-00000006.h5", b = dir("halves") / "checkpoint-00000006.h5";
  expect_same_state(a, b);
  const Checkpoint x = read_checkpoint(a), y = read_checkpoint(b);
  EXPECT_EQ(x.algorithm, "multitask");
  EXPECT_EQ(x.model, "conv4 filters=8 channels=1 image=28 conditioning=film tasks=12 outputs=8");
  ASSERT_EQ(x.state.size(), 3u);
  ASSERT_EQ(y.state.size(), 3u);
  EXPECT_EQ(x.state[0].first, "worst_task.weights");
  for (size_t i = 0; i < x.state.size(); ++i)
    EXPECT_TRUE(bytes_of(x.state[i].second) == bytes_of(y.state[i].second)) << x.state[i].first;
  // The weights moved away from uniform and still sum to 1.
  const std::vector<double> q = x.state[0].second.to_vector();
  double total = 0;
  for (const double w : q) total += w;
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_GT(*std::max_element(q.begin(), q.end()), 1.0 / 12 + 1e-6);
}

// PCGrad across ranks: each row's gradient alone, all gathered in slot order, projected and
// summed alike on every rank, so 1, 2 and 4 ranks end bitwise equal.
TEST_F(MultiTaskTrain, GradientSurgeryIsBitwiseTheSameOnOneTwoAndFourRanks) {
  const std::string pcgrad = "--weighting pcgrad --conditioning multi_head --val-every 0";
  for (const int np : {1, 2, 4}) {
    const SpawnResult r = cezanne(run(dir("pcgrad" + std::to_string(np)), pcgrad), 300, ranks(np));
    ASSERT_EQ(r.status, 0) << r.output;
  }
  expect_same_state(dir("pcgrad1") / "checkpoint-00000006.h5", dir("pcgrad2") / "checkpoint-00000006.h5");
  expect_same_state(dir("pcgrad1") / "checkpoint-00000006.h5", dir("pcgrad4") / "checkpoint-00000006.h5");
}

// Three ranks, two rows per step: the third rank has no row and still enters every collective
// (the reduction, the gathers of worst-task and PCGrad, validation); the result is the one
// rank's, within round-off (bitwise for PCGrad).
TEST_F(MultiTaskTrain, ThreeRanksWithTwoTasksMatchOneRank) {
  for (const std::string weighting : {"uniform", "worst_task", "uncertainty", "pcgrad"}) {
    const std::string extra = "--meta-batch 2 --tasks-per-pass 1 --weighting " + weighting;
    const fs::path one = dir("three-" + weighting + "-1"), three = dir("three-" + weighting + "-3");
    SpawnResult r = cezanne(run(one, extra));
    ASSERT_EQ(r.status, 0) << r.output;
    r = cezanne(run(three, extra), 300, ranks(3));
    ASSERT_EQ(r.status, 0) << weighting << ": " << r.output;
    const fs::path a = one / "checkpoint-00000006.h5", b = three / "checkpoint-00000006.h5";
    if (weighting == "pcgrad") {
      expect_same_state(a, b);
    } else {
      EXPECT_LT(max_difference(a, b), 1e-5) << weighting;
    }
  }
  // Meta-learning shares the loop: a rank without an episode is no problem either.
  const fs::path proto = dir("three-protonet");
  std::string args = small_run(store(), proto);
  args.replace(args.find("--algo maml"), 11, "--algo protonet");
  args.replace(args.find("--meta-batch 4"), 14, "--meta-batch 2");
  const SpawnResult r = cezanne(args, 300, ranks(3));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(fs::exists(proto / "checkpoint-00000006.h5"));
}

TEST_F(MultiTaskTrain, EvalReportsEveryTaskAndPlotDrawsTwoRuns) {
  const fs::path a = dir("eval-a"), b = dir("eval-b");
  ASSERT_EQ(cezanne(run(a, "--conditioning multi_head")).status, 0);
  ASSERT_EQ(cezanne(run(b, "--conditioning share_nothing")).status, 0);
  const SpawnResult one = cezanne("eval --checkpoint " + (a / "checkpoint-00000006.h5").string());
  ASSERT_EQ(one.status, 0) << one.output;
  EXPECT_THAT(one.output, StartsWith("{\"eval\":\"" + (a / "checkpoint-00000006.h5").string() +
                                     "\",\"algo\":\"multitask\",\"step\":6,\"split\":\"test\",\"conditioning\":\"multi_head\""));
  // One entry per task, their mean and the worst of them.
  std::vector<double> accuracies;
  for (size_t at = one.output.find("{\"task\":", one.output.find("\"per_task\"")); at != std::string::npos; at = one.output.find("{\"task\":", at + 1)) {
    const size_t p = one.output.find("\"accuracy\":", at) + 11;
    accuracies.push_back(std::stod(one.output.substr(p)));
  }
  ASSERT_EQ(accuracies.size(), 12u) << one.output;
  double mean = 0;
  for (const double v : accuracies) mean += v / 12;
  const double reported = std::stod(one.output.substr(one.output.find("\"mean\":") + 7));
  EXPECT_NEAR(reported, mean, 1e-5);
  const size_t worst = one.output.find("\"worst\":{");
  const double worst_accuracy = std::stod(one.output.substr(one.output.find("\"accuracy\":", worst) + 11));
  EXPECT_NEAR(worst_accuracy, *std::min_element(accuracies.begin(), accuracies.end()), 1e-6);
  EXPECT_THAT(one.output, HasSubstr("\"tasks\":12"));
  // Two ranks split the tasks and report the same numbers.
  const SpawnResult two = cezanne("eval --checkpoint " + (a / "checkpoint-00000006.h5").string(), 240, ranks(2));
  ASSERT_EQ(two.status, 0) << two.output;
  std::string expected = one.output;
  expected.replace(expected.find("\"ranks\":1"), 9, "\"ranks\":2");
  EXPECT_EQ(two.output, expected);

  {
    std::ofstream(dir("a.json")) << one.output;
    const SpawnResult other = cezanne("eval --checkpoint " + (b / "checkpoint-00000006.h5").string());
    ASSERT_EQ(other.status, 0) << other.output;
    std::ofstream(dir("b.json")) << other.output;
  }
  const SpawnResult plot = cezanne("plot --tasks " + dir("a.json").string() + " " + dir("b.json").string() +
                                   " --out " + dir("tasks.png").string());
  ASSERT_EQ(plot.status, 0) << plot.output;
  EXPECT_GT(fs::file_size(dir("tasks.png")), 1000u);
}

// Parameter groups from the command line: frozen parameters keep their initial values whatever
// the learning rate, the others move; a scale of 0 freezes in effect too.
TEST_F(MultiTaskTrain, FrozenParametersKeepTheirInitialValues) {
  const fs::path slow = dir("freeze-slow"), fast = dir("freeze-fast");
  SpawnResult r = cezanne(run(slow, "--freeze block0.*,block1.* --lr-scale head.*=0 --lr 0.01"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(" frozen)"));
  r = cezanne(run(fast, "--freeze block0.*,block1.* --lr-scale head.*=0 --lr 0.02"));
  ASSERT_EQ(r.status, 0) << r.output;
  const Checkpoint a = read_checkpoint(slow / "checkpoint-00000006.h5"), b = read_checkpoint(fast / "checkpoint-00000006.h5");
  for (size_t i = 0; i < a.params.size(); ++i) {
    const std::string& name = a.params[i].first;
    const bool fixed = name.starts_with("block0.") || name.starts_with("block1.") || name.starts_with("head.");
    EXPECT_EQ(bytes_of(a.params[i].second) == bytes_of(b.params[i].second), fixed) << name;
  }
  r = cezanne(run(dir("freeze-bad"), "--freeze blok*"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output, StartsWith("cezanne train: --freeze: 'blok*' matches no parameter (parameters: block0.conv.weight,"));
  EXPECT_FALSE(fs::exists(dir("freeze-bad")));
}

// bench step runs the trainer's own multi-task step and reports it in one JSON line.
TEST_F(MultiTaskTrain, BenchStepTimesTheTrainersStep) {
  const SpawnResult r = cezanne("bench step --algo multitask --store " + store().string() +
                                " --filters 8 --meta-batch 4 --examples-per-task 6 --example-split 4/1/1 --iters 2 --warmup 1 --threads 1 --conditioning film");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, StartsWith("{\"bench\":\"step\",\"algo\":\"multitask\",\"conditioning\":\"film\","
                                   "\"weighting\":\"uniform\",\"tasks\":12,\"meta_batch\":4,\"examples_per_task\":6,"));
  EXPECT_THAT(r.output, HasSubstr("\"examples_per_s\":"));
}

// One line naming the value, exit 2, and no run directory.
TEST_F(MultiTaskTrain, BadInputIsOneLineAndWritesNothing) {
  std::ofstream(dir("weights.txt")) << "Latin 2\nKlingon 3\n";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"--weighting manual --task-weights " + dir("weights.txt").string(),
       "--task-weights " + dir("weights.txt").string() + ":2: unknown task 'Klingon'"},
      {"--tasks Latin,Klingon", "--tasks: no writing system 'Klingon' in store " + store().string()},
      {"--example-split 14/2/4", "--example-split 14/2/4: class "},
      {"--example-split 4/1", "--example-split: expected TRAIN/VAL/TEST parts such as 14/2/4, got '4/1'"},
      {"--examples-per-task 40", "--examples-per-task 40: task "},
      {"--conditioning share_nothing --weighting pcgrad",
       "--weighting pcgrad: --conditioning share_nothing shares no parameter to project"},
      {"--conditioning film --task-descriptor 4",
       "--task-descriptor 4: only concat_input and concat_features use a task embedding, not film"},
      {"--conditioning mixture", "--conditioning: expected one of "},
      {"--weighting worst", "--weighting: expected uniform, manual, worst_task, uncertainty or pcgrad, got 'worst'"},
      {"--task-sampling biased", "--task-sampling: expected uniform, size or temperature, got 'biased'"},
      {"--weighting manual", "--task-weights: required with --weighting manual"},
      {"--task-weights " + dir("weights.txt").string(), "--task-weights: only with --weighting manual"},
  };
  for (const auto& [extra, message] : cases) {
    const fs::path out = dir("bad");
    const SpawnResult r = cezanne(run(out, extra));
    EXPECT_EQ(r.status, 2) << extra << ": " << r.output;
    EXPECT_THAT(r.output, StartsWith("cezanne train: " + message)) << extra;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << extra << ": " << r.output;
    EXPECT_FALSE(fs::exists(out)) << extra;
  }
}

}  // namespace
}  // namespace cz::train::testing
