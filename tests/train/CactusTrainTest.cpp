// CACTUs end to end on a tiny glyph store: a VAE's embedding is clustered into pseudo-classes,
// ProtoNets and MAML meta-train on their episodes (the same on 2 ranks as on 1), the VAE's frozen
// embedding is evaluated by the three protocols, and bad input is refused in one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;

class Cactus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("cactus");
    make_store(store());
    const SpawnResult r = cezanne(train_args({{"--algo", "vae"},
                                              {"--model", "mlp"},
                                              {"--store", store().string()},
                                              {"--out", dir("vae").string()},
                                              {"--hidden", "16"},
                                              {"--latent", "4"},
                                              {"--meta-batch", "2"},
                                              {"--examples-per-task", "8"},
                                              {"--steps", "2"},
                                              {"--val-episodes", "4"},
                                              {"--iwae-samples", "2"},
                                              {"--threads", "1"}},
                                             ""));
    ASSERT_EQ(r.status, 0) << r.output;
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  static fs::path dir(const std::string& name) { return root_->path / name; }
  static std::string encoder() { return (dir("vae") / "checkpoint-00000002.h5").string(); }

  static std::string run(const std::string& name, const std::string& extra = "") {
    return train_args({{"--algo", "protonet"},
                       {"--store", store().string()},
                       {"--out", dir(name).string()},
                       {"--pseudo-tasks", "cactus"},
                       {"--encoder", encoder()},
                       {"--partitions", "2"},
                       {"--clusters", "12"},
                       {"--filters", "4"},
                       {"--ways", "3"},
                       {"--shots", "1"},
                       {"--queries", "1"},
                       {"--meta-batch", "3"},
                       {"--steps", "2"},
                       {"--val-episodes", "4"},
                       {"--threads", "1"}},
                      extra);
  }
  static TempDir* root_;
};
TempDir* Cactus::root_ = nullptr;

TEST_F(Cactus, ProtoNetsAndMamlMetaTrainOnClusters) {
  SpawnResult r = cezanne(run("protonet"));
  ASSERT_EQ(r.status, 0) << r.output;
  // The train split of the 12-script store: 8 scripts' classes of 6 examples.
  EXPECT_THAT(r.output, HasSubstr("train examples embedded (4 features) by " + encoder() +
                                  "; 2 k-means partition(s) of 12 clusters"));
  EXPECT_TRUE(fs::exists(dir("protonet") / "checkpoint-00000002.h5"));
  EXPECT_THAT(r.output, HasSubstr("validation accuracy"));
  // The partitions are cached in the run directory: a resumed run reads them, clusters nothing
  // and continues bitwise as a run of 3 steps at once.
  const Checkpoint cache = read_checkpoint(dir("protonet") / "cactus.h5");
  EXPECT_EQ(cache.algorithm, "cactus");
  ASSERT_EQ(cache.params.size(), 2u);
  r = cezanne(run("protonet", "--steps 3 --checkpoint-every 1 --resume auto"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("train examples clustered before (" + (dir("protonet") / "cactus.h5").string() + ")"));
  r = cezanne(run("protonet-3", "--steps 3 --checkpoint-every 1"));
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_state(dir("protonet") / "checkpoint-00000003.h5", dir("protonet-3") / "checkpoint-00000003.h5");
  // A damaged cache is clustered again and rewritten.
  fs::resize_file(dir("protonet") / "cactus.h5", 100);
  r = cezanne(run("protonet", "--steps 4 --checkpoint-every 1 --resume auto"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("train examples embedded (4 features)"));
  EXPECT_EQ(read_checkpoint(dir("protonet") / "cactus.h5").params[1].second.to_i64_vector(),
            cache.params[1].second.to_i64_vector());
    r = cezanne(run("maml", "--algo maml --inner-steps 1"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir("maml") / "checkpoint-00000002.h5"));
  // Embedding and k-means over 2 ranks give the same pseudo-classes, hence the same episodes.
  r = cezanne(run("protonet-2"), 240.0, dist::test::mpirun(2));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_LT(max_difference(dir("protonet-3") / "checkpoint-00000002.h5", dir("protonet-2") / "checkpoint-00000002.h5"),
            1e-5);
}

TEST_F(Cactus, RefusesBadInputInOneLine) {
  const SpawnResult maml = cezanne(small_run(store(), dir("maml-source"), 1, 1));
  ASSERT_EQ(maml.status, 0) << maml.output;
  const std::string not_unlabelled = (dir("maml-source") / "checkpoint-00000001.h5").string();
  const std::vector<std::pair<std::string, std::string>> cases{
      {"--clusters 2", "cezanne train: --clusters: 2 pseudo-classes, fewer than --ways 3"},
      {"--pseudo-tasks clusters", "cezanne train: --pseudo-tasks: none, augmentation or cactus, got 'clusters'"},
      {"--encoder " + not_unlabelled,
       "cezanne train: --encoder " + not_unlabelled + ": a checkpoint of 'maml', not of an objective on unlabelled examples (vae)"},
      {"--encoder " + (dir("nowhere") / "x.h5").string(), "cezanne train: --encoder " + (dir("nowhere") / "x.h5").string() + ": "},
      {"--clusters 100000", "cezanne train: --clusters 100000: more than the "}};
  for (const auto& [extra, message] : cases) {
    const SpawnResult r = cezanne(run("refused", extra), 120.0);
    EXPECT_EQ(r.status, 2) << extra << "\n" << r.output;
    EXPECT_EQ(r.output.substr(0, message.size()), message) << extra;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    fs::remove_all(dir("refused"));
  }
  // As many clusters as examples: no cluster holds shots + queries = 2 of them. Known only after
  // clustering, on every rank alike: one line naming the rank.
  const SpawnResult many = cezanne(run("refused", "--clusters 100000"), 120.0);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(many.output, m, std::regex("more than the ([0-9]+) examples"))) << many.output;
  const std::string n = m[1];
  const SpawnResult r = cezanne(run("singletons", "--partitions 1 --clusters " + n), 120.0);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cezanne: rank 0: --clusters " + n + ": partition 0 has 0 pools of at least "
                                  "shots+queries = 2 examples, fewer than ways = 3\n"));
}

// The JSON number after "key":.
double number(const std::string& json, const std::string& key) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(json, m, std::regex("\"" + key + "\":([-0-9.e+]+)"))) << json;
  return m.empty() ? -1.0 : std::stod(m[1]);
}

TEST_F(Cactus, EvaluatesTheFrozenEmbeddingByEveryProtocol) {
  const std::string eval = "eval --checkpoint " + encoder() + " --threads 1 ";
  SpawnResult r = cezanne(eval + "--protocol few-shot --ways 3 --shots 2 --queries 2 --episodes 20");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"split\":\"test\",\"split_by\":\"class\",\"protocol\":\"few-shot\",\"ways\":3,"
                                  "\"shots\":2,\"queries\":2,\"within_domain\":false,\"metric\":\"accuracy\""));
  EXPECT_THAT(r.output, HasSubstr("\"episodes\":20,\"embedding\":\"vae mlp 784-16-4 bernoulli beta=1\",\"ranks\":1}"));
  const double few_shot = number(r.output, "mean");
  EXPECT_GT(few_shot, 0.0);
  EXPECT_LE(few_shot, 1.0);
  // Over 2 ranks: the same line but for the rank count.
  const SpawnResult two = cezanne(eval + "--protocol few-shot --ways 3 --shots 2 --queries 2 --episodes 20", 240.0,
                                  dist::test::mpirun(2));
  ASSERT_EQ(two.status, 0) << two.output;
  EXPECT_EQ(std::regex_replace(two.output, std::regex("\"ranks\":2"), "\"ranks\":1"), r.output);

  r = cezanne(eval + "--protocol knn --neighbours 3");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"protocol\":\"knn\",\"neighbours\":3,\"memory\":\"leave-one-out\""));
  // 4 test scripts of 8 classes of 6 examples, each example a query.
  EXPECT_EQ(number(r.output, "queries"), number(r.output, "labelled"));
  r = cezanne(eval + "--protocol probe");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"protocol\":\"probe\",\"probe\":{\"steps\":300,\"lr\":0.05,\"weight_decay\":0.0001}"));
  EXPECT_EQ(5 * number(r.output, "queries"), number(r.output, "labelled"));  // 5 of 6 train, 1 scored

  const std::vector<std::pair<std::string, std::string>> refused{
      {eval + "--protocol linear", "cezanne eval: --protocol: objective, few-shot, knn or probe, got 'linear'\n"},
      {eval + "--protocol knn --neighbours 1000", "cezanne eval: --neighbours: 1000, more than the 143 labelled examples each query has (leave-one-out)\n"},
      {eval + "--ways 3", "cezanne eval: --ways: not for a vae checkpoint (it has examples, not episodes)\n"},
      {"eval --baseline pixels --store " + store().string() + " --protocol knn",
       "cezanne eval: --protocol: for a checkpoint of an objective on unlabelled examples (vae), got --baseline\n"}};
  for (const auto& [args, message] : refused) {
    const SpawnResult e = cezanne(args, 120.0);
    EXPECT_EQ(e.status, 2) << args << "\n" << e.output;
    EXPECT_EQ(e.output.substr(0, message.size()), message) << args;
  }
}

}  // namespace
}  // namespace cz::train::testing
