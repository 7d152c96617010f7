// `cezanne train --algo vae`, `cezanne eval` of its checkpoint, resume, and the refusals of bad
// input, end to end on a tiny glyph store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "TrainFixtures.hpp"
#include "cezanne/data/Png.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;

class VaeTrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("vae-train");
    make_store(store());
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path dir(const std::string& name) { return root_->path / name; }

  static std::string run(const std::string& name, const std::string& extra = "") {
    return train_args({{"--algo", "vae"},
                       {"--model", "mlp"},
                       {"--store", store().string()},
                       {"--out", dir(name).string()},
                       {"--hidden", "16"},
                       {"--latent", "4"},
                       {"--meta-batch", "4"},
                       {"--examples-per-task", "8"},
                       {"--steps", "6"},
                       {"--checkpoint-every", "3"},
                       {"--val-every", "3"},
                       {"--val-episodes", "10"},
                       {"--iwae-samples", "10"},
                       {"--lr", "0.003"},
                       {"--threads", "1"}},
                      extra);
  }

  // The number after "key": in a JSON line.
  static double number(const std::string& json, const std::string& key) {
    std::smatch m;
    EXPECT_TRUE(std::regex_search(json, m, std::regex("\"" + key + "\":\\{\"mean\":([-0-9.e+]+)"))) << json;
    return m.empty() ? 0.0 : std::stod(m[1]);
  }

  static TempDir* root_;
};
TempDir* VaeTrain::root_ = nullptr;

TEST_F(VaeTrain, TrainsEvaluatesAndResumesBitwise) {
  SpawnResult r = cezanne(run("whole"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("validation negative_elbo"));
  EXPECT_EQ(metrics_rows(dir("whole")), 6);
  const Checkpoint c = read_checkpoint(dir("whole") / "checkpoint-00000006.h5");
  EXPECT_EQ(c.algorithm, "vae");
  EXPECT_EQ(c.model, "vae mlp 784-16-4 bernoulli beta=1");

  r = cezanne(run("parts", "--stop-after 3"));
  ASSERT_EQ(r.status, 75) << r.output;
  r = cezanne(run("parts", "--resume auto"));
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_state(dir("whole") / "checkpoint-00000006.h5", dir("parts") / "checkpoint-00000006.h5");

  r = cezanne("eval --checkpoint " + (dir("whole") / "checkpoint-00000006.h5").string() +
              " --episodes 12 --iwae-samples 50 --threads 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"algo\":\"vae\""));
  EXPECT_THAT(r.output, HasSubstr("\"split\":\"test\""));
  EXPECT_THAT(r.output, HasSubstr("\"examples\":12,\"iwae_samples\":50"));
  const double elbo = number(r.output, "elbo"), iwae = number(r.output, "iwae");
  EXPECT_LT(elbo, 0.0);
  EXPECT_GE(iwae, elbo);
  // The same line again: the evaluation's noise is a function of --seed and the example.
  EXPECT_EQ(cezanne("eval --checkpoint " + (dir("whole") / "checkpoint-00000006.h5").string() +
                    " --episodes 12 --iwae-samples 50 --threads 1")
                .output,
            r.output);

  r = cezanne("sample --checkpoint " + (dir("whole") / "checkpoint-00000006.h5").string() + " --out " +
              dir("grids").string());
  ASSERT_EQ(r.status, 0) << r.output;
  // 8 columns of 28-pixel images with 2-pixel gaps: 4 rows of samples, 4 of examples and their
  // reconstructions, 4 latent dimensions swept.
  for (const char* name : {"samples.png", "reconstructions.png", "traversal.png"}) {
    const data::Image image = data::read_png(dir("grids") / name, 1);
    EXPECT_EQ(image.width, 8 * 28 + 9 * 2) << name;
    EXPECT_EQ(image.height, 4 * 28 + 5 * 2) << name;
  }
}

// Each rank draws its rows and their noise by global slot: 2 ranks reach the parameters of 1
// (within round-off: the reducer sums in another order).
TEST_F(VaeTrain, TwoRanksTrainTheSameModelAsOne) {
  SpawnResult r = cezanne(run("one-rank", "--meta-batch 3 --steps 3"));
  ASSERT_EQ(r.status, 0) << r.output;
  r = cezanne(run("two-ranks", "--meta-batch 3 --steps 3"), 240.0, dist::test::mpirun(2));
  ASSERT_EQ(r.status, 0) << r.output;
  const Checkpoint a = read_checkpoint(dir("one-rank") / "checkpoint-00000003.h5");
  const Checkpoint b = read_checkpoint(dir("two-ranks") / "checkpoint-00000003.h5");
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i) {
    const std::vector<double> x = a.params[i].second.to_vector(), y = b.params[i].second.to_vector();
    ASSERT_EQ(x.size(), y.size());
    for (size_t k = 0; k < x.size(); ++k)
      ASSERT_NEAR(x[k], y[k], 1e-5 * (1 + std::abs(x[k]))) << a.params[i].first << " element " << k;
  }
}

// The convolutional VAE trains and evaluates, and its encoder is a source for transfer: its
// Conv4-named convolutions load into a ProtoNets run (--init-params 'block*').
TEST_F(VaeTrain, ConvolutionalEncoderTransfersIntoConv4) {
  SpawnResult r = cezanne(run("conv", "--model conv4 --filters 4 --steps 2 --checkpoint-every 2 --val-every 0"));
  ASSERT_EQ(r.status, 0) << r.output;
  const fs::path ckpt = dir("conv") / "checkpoint-00000002.h5";
  EXPECT_EQ(read_checkpoint(ckpt).model, "vae conv4 filters=4 channels=1 image=28 latent=4 bernoulli beta=1");
  r = cezanne("eval --checkpoint " + ckpt.string() + " --episodes 4 --iwae-samples 20 --threads 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"iwae\":{\"mean\":-"));
  r = cezanne("train --algo protonet --store " + store().string() + " --out " + dir("protonet").string() +
              " --filters 4 --ways 3 --shots 1 --queries 2 --meta-batch 2 --steps 1 --val-episodes 2 --threads 1" +
              " --init-from " + ckpt.string() + " --init-params block*");
  ASSERT_EQ(r.status, 0) << r.output;
  const Checkpoint vae = read_checkpoint(ckpt);
  const Checkpoint protonet = read_checkpoint(dir("protonet") / "checkpoint-00000001.h5");
  EXPECT_EQ(vae.params[0].first, "block0.conv.weight");
  EXPECT_EQ(protonet.params[0].first, "block0.conv.weight");
  EXPECT_EQ(vae.params[0].second.shape(), protonet.params[0].second.shape());
}

// The example ids of an `eval --list-examples` line.
std::vector<int64_t> listed_ids(const std::string& json) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(json, m, std::regex("\"example_ids\":\\[([0-9,]*)\\]"))) << json;
  std::vector<int64_t> ids;
  std::stringstream items(m.empty() ? "" : m[1].str());
  for (std::string item; std::getline(items, item, ',');) ids.push_back(std::stoll(item));
  return ids;
}

// --split-by example: trained on the 4/1/1 train part of every class (6 examples each), the
// bounds on the test part of the same classes, which eval and sample take from the checkpoint;
// --list-examples shows the three parts disjoint and covering every example.
TEST_F(VaeTrain, SplitByExampleTrainsAndEvaluatesOnDisjointPartsOfEveryClass) {
  SpawnResult r = cezanne(run("by-example", "--split-by example --example-split 4/1/1"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("validation negative_elbo"));
  const std::string checkpoint = (dir("by-example") / "checkpoint-00000006.h5").string();
  std::map<std::string, std::vector<int64_t>> parts;
  for (const std::string split : {"train", "val", "test"}) {
    r = cezanne("eval --checkpoint " + checkpoint + " --split " + split + " --list-examples");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("\"split_by\":\"example 4/1/1\""));
    parts[split] = listed_ids(r.output);
  }
  const auto classes = static_cast<int64_t>(parts["test"].size());
  ASSERT_GT(classes, 0);
  EXPECT_EQ(parts["val"].size(), static_cast<size_t>(classes));
  EXPECT_EQ(parts["train"].size(), static_cast<size_t>(4 * classes));
  std::set<int64_t> all;
  for (const auto& [split, ids] : parts) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(6 * classes)) << "the parts overlap";
  EXPECT_EQ(*all.begin(), 0);
  EXPECT_EQ(*all.rbegin(), 6 * classes - 1) << "the parts miss an example";

  r = cezanne("eval --checkpoint " + checkpoint + " --episodes 1000 --iwae-samples 20 --threads 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"split\":\"test\",\"split_by\":\"example 4/1/1\""));
  EXPECT_THAT(r.output, HasSubstr("\"examples\":" + std::to_string(classes) + ","));
  EXPECT_GE(number(r.output, "iwae"), number(r.output, "elbo"));
  r = cezanne("sample --checkpoint " + checkpoint + " --out " + dir("by-example-grids").string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir("by-example-grids") / "reconstructions.png"));
  // A class-split checkpoint lists its held-out classes' examples, none of them trained on.
  r = cezanne(run("by-class", "--steps 1"));
  ASSERT_EQ(r.status, 0) << r.output;
  r = cezanne("eval --checkpoint " + (dir("by-class") / "checkpoint-00000001.h5").string() + " --list-examples");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"split\":\"test\",\"split_by\":\"class\""));
  EXPECT_FALSE(listed_ids(r.output).empty());
}

// bench step runs the trainer's own unlabelled step on the store's rows and reports it in one JSON
// line, with the objective's own options of cezanne train; 2 ranks step the same model as 1.
TEST_F(VaeTrain, BenchStepTimesTheTrainersStep) {
  const std::string args = "bench step --algo vae --model mlp --store " + store().string() +
                           " --hidden 16 --latent 4 --likelihood gaussian --beta 0.5 --meta-batch 3"
                           " --examples-per-task 8 --iters 2 --warmup 1 --threads 1";
  const SpawnResult one = cezanne(args);
  ASSERT_EQ(one.status, 0) << one.output;
  EXPECT_THAT(one.output, ::testing::StartsWith("{\"bench\":\"step\",\"algo\":\"vae\",\"model\":\"vae mlp 784-16-4 "
                                                "gaussian beta=0.5\",\"meta_batch\":3,\"examples_per_task\":8,"
                                                "\"iters\":2,\"warmup\":1,\"threads\":1,\"ranks\":1,"));
  // 784-16-8 encoder, 4-16-784 decoder and the per-pixel log-variance
  const int64_t parameters = (784 * 16 + 16) + (16 * 8 + 8) + (4 * 16 + 16) + (16 * 784 + 784) + 784;
  EXPECT_THAT(one.output, HasSubstr(",\"parameters\":" + std::to_string(parameters) + ",\"overlap\":\"off\","));
  for (const char* key : {"\"steps_per_s\":", "\"examples_per_s\":", "\"peak_rss_mb\":", "\"last_loss\":"})
    EXPECT_THAT(one.output, HasSubstr(key));
  EXPECT_EQ(std::count(one.output.begin(), one.output.end(), '\n'), 1) << one.output;

  const SpawnResult two = cezanne(args, 240.0, dist::test::mpirun(2));
  ASSERT_EQ(two.status, 0) << two.output;
  EXPECT_THAT(two.output, HasSubstr("\"ranks\":2,"));
  const auto last_loss = [](const std::string& json) {
    std::smatch m;
    EXPECT_TRUE(std::regex_search(json, m, std::regex("\"last_loss\":([-0-9.e+]+)"))) << json;
    return m.empty() ? 0.0 : std::stod(m[1]);
  };
  const double expected = last_loss(one.output);
  EXPECT_NEAR(last_loss(two.output), expected, 1e-4 * std::abs(expected));

  const SpawnResult conv = cezanne("bench step --algo vae --store " + store().string() +
                                   " --filters 4 --latent 4 --meta-batch 2 --examples-per-task 4 --iters 1 --warmup 0 --threads 1");
  ASSERT_EQ(conv.status, 0) << conv.output;
  EXPECT_THAT(conv.output, HasSubstr("\"model\":\"vae conv4 filters=4 channels=1 image=28 latent=4 bernoulli beta=1\""));

  // Bad values of the objective's options are train's one-line errors.
  const std::vector<std::pair<std::string, std::string>> cases{
      {"--algo vae", "cezanne bench step: --store: required with --algo vae\n"},
      {"--algo vae --model resnet --store " + store().string(), "cezanne bench step: --model: conv4, vit or mlp, got 'resnet'\n"},
      {"--algo vae --store " + store().string() + " --beta -1", "cezanne bench step: --beta: must be in [0, 1000000], got -1\n"},
      {"--algo vae --store " + store().string() + " --likelihood poisson",
       "cezanne bench step: --likelihood: bernoulli or gaussian, got 'poisson'\n"},
      {"--algo vae --store " + store().string() + " --split-by row", "cezanne bench step: --split-by: class or example, got 'row'\n"},
      {"--algo vae --store " + store().string() + " --iwae-samples 5",
       "cezanne bench step: unrecognised option '--iwae-samples'\n"}};
  for (const auto& [extra, message] : cases) {
    const SpawnResult r = cezanne("bench step " + extra, 60.0);
    EXPECT_EQ(r.status, 2) << extra;
    EXPECT_EQ(r.output, message) << extra;
  }
}

TEST_F(VaeTrain, RefusesBadInputInOneLine) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"--beta -1", "cezanne train: --beta: must be in [0, 1000000], got -1"},
      {"--iwae-samples 0", "cezanne train: --iwae-samples: must be in [1, 1000000], got 0"},
      {"--likelihood poisson", "cezanne train: --likelihood: bernoulli or gaussian, got 'poisson'"},
      {"--model resnet", "cezanne train: --model: conv4, vit or mlp, got 'resnet'"},
      {"--latent 0", "cezanne train: --latent: must be in [1, 4096], got 0"},
      {"--split-by row", "cezanne train: --split-by: class or example, got 'row'"},
      {"--split-by example --example-split 4/1",
       "cezanne train: --example-split: expected TRAIN/VAL/TEST parts such as 14/2/4, got '4/1'"}};
  for (const auto& [extra, message] : cases) {
    const SpawnResult r = cezanne(run("refused", extra), 60.0);
    EXPECT_EQ(r.status, 2) << extra;
    EXPECT_EQ(r.output, message + "\n") << extra;
    EXPECT_FALSE(fs::exists(dir("refused"))) << extra;
  }
  const SpawnResult r = cezanne(run("ok", "--steps 1"));
  ASSERT_EQ(r.status, 0) << r.output;
  const SpawnResult e = cezanne("eval --checkpoint " + (dir("ok") / "checkpoint-00000001.h5").string() +
                                " --iwae-samples 0", 60.0);
  EXPECT_EQ(e.status, 2);
  EXPECT_EQ(e.output, "cezanne eval: --iwae-samples: must be in [1, 1000000], got 0\n");
  const SpawnResult w = cezanne("eval --checkpoint " + (dir("ok") / "checkpoint-00000001.h5").string() +
                                " --ways 5", 60.0);
  EXPECT_EQ(w.status, 2);
  EXPECT_EQ(w.output, "cezanne eval: --ways: not for a vae checkpoint (it has examples, not episodes)\n");
  const SpawnResult l = cezanne("eval --baseline pixels --store " + store().string() + " --list-examples", 60.0);
  EXPECT_EQ(l.status, 2);
  EXPECT_EQ(l.output, "cezanne eval: --list-examples: for a vae checkpoint, got --baseline\n");
}

}  // namespace
}  // namespace cz::train::testing
