// Transfer learning end to end on a tiny store: a ProtoNets body loaded into a multi-task
// target, frozen parameters bit for bit, gradual unfreezing at the right steps, head first then
// everything with early stopping resumed bitwise, K examples per class, and bad requests in one
// line with exit 2 and nothing written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "TrainFixtures.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/data/MultiTaskSource.hpp"
#include "cezanne/learn/MultiTaskObjective.hpp"
#include "cezanne/nn/Params.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class Transfer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("transfer");
    make_store(root_->path / "store");
    // The source: ProtoNets meta-trained on the store's train split (Conv4 body, 8 filters).
    const SpawnResult r = cezanne("train --algo protonet --store " + store().string() + " --out " +
                                  dir("source").string() +
                                  " --filters 8 --ways 3 --shots 1 --queries 2 --meta-batch 2 --steps 4"
                                  " --checkpoint-every 4 --val-every 4 --val-episodes 2 --lr 0.01 --threads 1");
    ASSERT_EQ(r.status, 0) << r.output;
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path dir(const std::string& name) { return root_->path / name; }
  static fs::path source() { return dir("source") / "checkpoint-00000004.h5"; }

  /// Fine-tuning on one writing system (Greek: 8 characters, 6 images each split 4/1/1) from
  /// the ProtoNets body; `extra` adds options or replaces these ("--steps 30").
  static std::string finetune(const fs::path& out, const std::string& extra) {
    const std::vector<std::pair<std::string, std::string>> options{
        {"--algo", "multitask"}, {"--store", store().string()}, {"--tasks", "Greek"}, {"--out", out.string()},
        {"--filters", "8"}, {"--meta-batch", "2"}, {"--examples-per-task", "8"}, {"--example-split", "4/1/1"},
        {"--steps", "8"}, {"--checkpoint-every", "2"}, {"--keep", "10"}, {"--val-every", "2"}, {"--lr", "0.05"},
        {"--threads", "1"}, {"--init-from", source().string()}, {"--init-params", "block*"}};
    return train_args(options, extra, {"--head-first", "--early-stop"});
  }

  static TempDir* root_;
};
TempDir* Transfer::root_ = nullptr;

// Parameter `name` of a checkpoint.
Tensor param(const Checkpoint& c, const std::string& name) {
  for (const auto& [n, t] : c.params)
    if (n == name) return t;
  ADD_FAILURE() << "no parameter " << name;
  return {};
}

TEST_F(Transfer, LinearProbeLoadsTheBodyAndKeepsItBitForBit) {
  const SpawnResult r = cezanne(finetune(dir("probe"), "--freeze block*"));
  ASSERT_EQ(r.status, 0) << r.output;
  const Checkpoint src = read_checkpoint(source()), end = read_checkpoint(dir("probe") / "checkpoint-00000008.h5");
  int blocks = 0;
  for (const auto& [name, value] : src.params) {
    EXPECT_TRUE(bytes_of(param(end, name)) == bytes_of(value)) << name << " moved or was not loaded";
    ++blocks;
  }
  EXPECT_EQ(blocks, 16);  // 4 blocks of conv weight, bias, bn gamma, beta
  // The fresh head trained: it is not its initialization any more (zero bias).
  double bias = 0;
  for (const double b : param(end, "head.bias").to_vector()) bias += std::abs(b);
  EXPECT_GT(bias, 0.0);
}

// A frozen parameter is a constant of the graph: the backward pass never computes its gradient.
TEST_F(Transfer, FrozenParametersGetNoGradient) {
  data::MultiTaskSpec spec;
  spec.examples = 4;
  spec.parts = {4, 1, 1};
  spec.tasks = {"Greek"};
  const data::MultiTaskSource source(data::Store::open(store()), spec, 0);
  nn::TaskNetSpec net;
  net.filters = 4;
  net.num_tasks = 1;
  net.outputs = source.num_classes(0);
  const learn::MultiTaskObjective objective(net, {source.num_classes(0)}, false);
  nn::Params params(objective.specs());
  params.initialize(1);
  for (size_t i = 0; i < params.size(); ++i)
    if (params.name(i).rfind("block0.", 0) == 0) Var(params[i]).set_requires_grad(false);
  sum(objective.losses(params.list(), source.sample(data::Split::train, 0, {0})).losses).backward();
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor g = params.flat_grad().slice(0, params.offset(i), params.offset(i) + params.numel(i));
    double total = 0;
    for (const double x : g.to_vector()) total += std::abs(x);
    if (params.name(i).rfind("block0.", 0) == 0)
      EXPECT_EQ(total, 0.0) << params.name(i);
    else if (params.name(i).find("conv.bias") == std::string::npos)  // batch norm cancels a conv bias
      EXPECT_GT(total, 0.0) << params.name(i);
  }
}

TEST_F(Transfer, GradualUnfreezingOpensTheLayersAtTheRightSteps) {
  const SpawnResult r = cezanne(finetune(dir("gradual"), "--unfreeze-every 2"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("step 2: "));
  const Checkpoint src = read_checkpoint(source());
  // Steps 0-1 train the head; 2-3 also block3; 4-5 block2; 6-7 block1; block0 from step 8 on.
  const std::vector<std::pair<int, int>> opened{{3, 2}, {2, 4}, {1, 6}};
  for (int at : {2, 4, 6, 8}) {
    const Checkpoint c = read_checkpoint(dir("gradual") / ("checkpoint-0000000" + std::to_string(at) + ".h5"));
    for (int block = 0; block < 4; ++block) {
      const std::string name = "block" + std::to_string(block) + ".conv.weight";
      const int opens = block == 0 ? 8 : opened[static_cast<size_t>(3 - block)].second;
      const bool moved = !(bytes_of(param(c, name)) == bytes_of(param(src, name)));
      EXPECT_EQ(moved, at > opens) << name << " at step " << at;
    }
  }
}

TEST_F(Transfer, HeadFirstWithEarlyStoppingResumesBitwise) {
  const std::string recipe = "--head-first --early-stop --patience 1 --val-every 1 --steps 30 --checkpoint-every 30";
  SpawnResult r = cezanne(finetune(dir("whole"), recipe));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("head first, then everything"));
  EXPECT_THAT(r.output, HasSubstr("early stop at step "));
  r = cezanne(finetune(dir("halves"), recipe + " --stop-after 2"));
  ASSERT_EQ(r.status, 75) << r.output;
  r = cezanne(finetune(dir("halves"), recipe + " --resume auto"));
  ASSERT_EQ(r.status, 0) << r.output;
  std::vector<std::string> warnings;
  const auto a = CheckpointDir(dir("whole"), 10).load_newest(&warnings), b = CheckpointDir(dir("halves"), 10).load_newest(&warnings);
  ASSERT_TRUE(a && b);
  expect_same_state(a->first, b->first);
  const Checkpoint& x = a->second;
  const Checkpoint& y = b->second;
  ASSERT_EQ(x.state.size(), 5u);
  for (size_t i = 0; i < x.state.size(); ++i)
    EXPECT_TRUE(bytes_of(x.state[i].second) == bytes_of(y.state[i].second)) << x.state[i].first;
  EXPECT_EQ(x.state[4].first, "trainer.early_stopped");
  EXPECT_EQ(x.state[4].second.to_vector()[0], 1.0);
  // best.h5 holds the best validation's step, which the state records.
  const Checkpoint best = read_checkpoint(dir("whole") / "best.h5");
  EXPECT_EQ(static_cast<double>(best.step), x.state[2].second.to_vector()[0]);
  expect_same_state(dir("whole") / "best.h5", dir("halves") / "best.h5");
  // Finished: another invocation does nothing, and --check-finished agrees.
  r = cezanne(finetune(dir("whole"), recipe + " --resume auto"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("stopped early at step"));
  r = cezanne(finetune(dir("whole"), recipe) + " --check-finished");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("stopped early, finished"));
}

TEST_F(Transfer, KExamplesPerClassAreDrawnByTheSeed) {
  data::MultiTaskSpec spec;
  spec.examples = 8;
  spec.parts = {4, 1, 1};
  spec.tasks = {"Greek"};
  spec.train_per_class = 1;
  const auto store_ = data::Store::open(store());
  const data::MultiTaskSource a(store_, spec, 0), b(store_, spec, 1);
  EXPECT_EQ(a.num_examples(0, data::Split::train), 8);  // 8 characters x K = 1
  EXPECT_EQ(a.num_examples(0, data::Split::test), 8);   // untouched
  // Every class once among a's train examples, and another draw for another seed.
  const data::TaskBatch x = a.task_examples(0, data::Split::train, 0, 8), y = b.task_examples(0, data::Split::train, 0, 8);
  EXPECT_EQ(x.labels.to_i64_vector(), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_NE(x.example_ids.to_i64_vector(), y.example_ids.to_i64_vector());
  spec.train_per_class = 5;
  try {
    data::MultiTaskSource(store_, spec, 0);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(std::string(e.what()), StartsWith("--train-examples 5: class '"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("' of task 'Greek' has 4 train examples"));
  }
}

TEST_F(Transfer, BadRequestsAreOneLineExitTwoAndWriteNothing) {
  SpawnResult r = cezanne(finetune(dir("bad1"), "--init-params blok*"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output, StartsWith("cezanne train: --init-params: 'blok*' matches no parameter (parameters: block0.conv.weight,"));
  EXPECT_FALSE(fs::exists(dir("bad1")));
  // A multi-task checkpoint of 12 writing systems into a target of one: the heads differ.
  r = cezanne("train --algo multitask --store " + store().string() + " --out " + dir("twelve").string() +
              " --filters 8 --meta-batch 2 --examples-per-task 4 --example-split 4/1/1 --steps 1 --threads 1");
  ASSERT_EQ(r.status, 0) << r.output;
  r = cezanne(finetune(dir("bad2"), "--init-params * --init-from " + (dir("twelve") / "checkpoint-00000001.h5").string()));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output, HasSubstr("cezanne train: --init-from " + (dir("twelve") / "checkpoint-00000001.h5").string() +
                                  ": parameter 'head.weight' is [12, 8, 8] in the checkpoint, [1, 8, 8] here"));
  EXPECT_FALSE(fs::exists(dir("bad2")));
  r = cezanne(finetune(dir("bad4"), "--init-from " + (dir("nowhere") / "c.h5").string()));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output, StartsWith("cezanne train: --init-from: " + (dir("nowhere") / "c.h5").string() + ": cannot read checkpoint"));
  EXPECT_FALSE(fs::exists(dir("bad4")));
  r = cezanne(finetune(dir("bad3"), "--head-first --unfreeze-every 2"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output, HasSubstr("cezanne train: --head-first: or --unfreeze-every, not both"));
  EXPECT_FALSE(fs::exists(dir("bad3")));
}

}  // namespace
}  // namespace cz::train::testing
