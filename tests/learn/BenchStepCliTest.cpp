// `cezanne bench step` as a user runs it: one JSON line with the rates, clear usage errors.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct Result {
  int status = -1;
  std::string output;
};

// Runs `[launcher] cezanne <args>` through the shell (args already shell-quoted).
Result run_cezanne(const std::string& args, const std::string& launcher = "") {
  const char* env = std::getenv("CEZANNE_BINARY");
  const std::string binary = env != nullptr && *env != '\0' ? env : CEZANNE_TEST_BINARY;
  const std::string command = launcher + "'" + binary + "' " + args + " 2>&1";
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int raw = pclose(pipe);
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return result;
}

TEST(BenchStepCli, PrintsOneJsonLineWithRatesAndOptions) {
  for (const char* algo : {"maml", "fomaml", "anil", "protonet", "matching", "siamese"}) {
    const Result r = run_cezanne(
        std::string("bench step --algo ") + algo +
        " --ways 3 --shots 1 --queries 2 --meta-batch 2 --image 16 --filters 4 --iters 2 "
        "--warmup 1 --threads 1");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output.front(), '{') << r.output;
    EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << r.output;
    for (const char* key :
         {"\"tasks_per_s\":", "\"meta_steps_per_s\":", "\"peak_rss_mb\":", "\"meta_batch\":2",
          "\"ways\":3", "\"image\":16", "\"filters\":4", "\"threads\":1", "\"ranks\":1"})
      EXPECT_NE(r.output.find(key), std::string::npos) << key << " in " << r.output;
    EXPECT_NE(r.output.find(std::string("\"algo\":\"") + algo + "\""), std::string::npos)
        << r.output;
  }
  const Result mlp = run_cezanne(
      "bench step --algo maml --model mlp --shots 10 --queries 10 --meta-batch 4 --inner-lr 0.01 "
      "--iters 2");
  ASSERT_EQ(mlp.status, 0) << mlp.output;
  EXPECT_NE(mlp.output.find("\"model\":\"mlp\""), std::string::npos) << mlp.output;
  EXPECT_NE(mlp.output.find("\"parameters\":1761"), std::string::npos) << mlp.output;  // 1-40-40-1
}

TEST(BenchStepCli, BadValuesAreUsageErrors) {
  struct Case {
    const char* args;
    const char* message;
  };
  for (const Case& c : {
           Case{"--algo reptile",
                "--algo: one of maml, fomaml, anil, protonet, matching, siamese, mann, set_encoder, versa, neural_process, pretrain, multitask, vae, triplet, nt_xent, moco, autoencoder, mae; got 'reptile'"},
           Case{"--algo vae", "--store: required with --algo vae"},
           Case{"--model resnet", "--model: conv4 or mlp, got 'resnet'"},
           Case{"--algo multitask", "--store: required with --algo multitask (its writing systems are the tasks)"},
           Case{"--model mlp --algo protonet", "--algo must be maml, fomaml, anil or neural_process"},
           Case{"--model conv4 --algo neural_process", "--algo neural_process is sinusoid regression: --model must be mlp, got 'conv4'"},
           Case{"--image 8", "Conv4: image 8 is too small for 4 pooling layers (needs >= 16)"},
           Case{"--meta-batch 0", "--meta-batch: must be in [1, 10000], got 0"},
           Case{"--iters 0", "--iters: must be in [1, 1000000], got 0"},
           Case{"--overlap yes", "--overlap: on or off, got 'yes'"},
           Case{"--bucket-kb 0", "--bucket-kb: must be in [1, 1048576], got 0"},
       }) {
    const Result r = run_cezanne(std::string("bench step ") + c.args);
    EXPECT_EQ(r.status, 2) << c.args << ": " << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << ": " << r.output;
    EXPECT_EQ(r.output.find("cezanne bench step: "), 0u) << r.output;
  }
}

std::string field(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  const size_t begin = at + key.size() + 3;
  return json.substr(begin, json.find_first_of(",}", begin) - begin);
}

// --overlap on: the same training as off (the same last loss; train/OverlapMpiTest checks the
// parameters bit for bit), every bucket launched during backward; the communication figures.
TEST(BenchStepCli, OverlapOnTwoRanksReportsItsBuckets) {
  if (std::system("command -v mpirun > /dev/null 2>&1") != 0) GTEST_SKIP() << "no mpirun";
  const std::string args =
      "bench step --algo maml --image 16 --filters 4 --meta-batch 4 --iters 2 --warmup 1 --threads 1 "
      "--bucket-kb 1 --overlap ";
  const std::string mpirun =
      "OMPI_MCA_btl_vader_single_copy_mechanism=none mpirun --allow-run-as-root --oversubscribe -np 2 ";
  const Result off = run_cezanne(args + "off", mpirun);
  const Result on = run_cezanne(args + "on", mpirun);
  ASSERT_EQ(off.status, 0) << off.output;
  ASSERT_EQ(on.status, 0) << on.output;
  EXPECT_EQ(field(on.output, "overlap"), "\"on\"") << on.output;
  EXPECT_EQ(field(on.output, "bucket_kb"), "1") << on.output;
  // The Conv4's parameters fill several buckets of 256 floats.
  const std::string buckets = field(on.output, "buckets_per_step");
  EXPECT_GE(std::stod(buckets), 2.0) << on.output;
  EXPECT_EQ(field(on.output, "overlapped_buckets_per_step"), buckets) << on.output;
  EXPECT_EQ(field(off.output, "overlapped_buckets_per_step"), "0") << off.output;
  EXPECT_EQ(field(off.output, "buckets_per_step"), buckets) << off.output;
  for (const char* key : {"communication_s", "exposed_communication_s"}) {
    EXPECT_GE(std::stod(field(on.output, key)), 0.0) << key << " in " << on.output;
    EXPECT_GE(std::stod(field(off.output, key)), 0.0) << key << " in " << off.output;
  }
  EXPECT_EQ(field(on.output, "last_loss"), field(off.output, "last_loss"));
}

// The meta-batch is global: 1, 2 and 3 ranks (uneven split of 5 tasks) train the same model.
TEST(BenchStepCli, RankCountDoesNotChangeTheTraining) {
  if (std::system("command -v mpirun > /dev/null 2>&1") != 0) GTEST_SKIP() << "no mpirun";
  const std::string args =
      "bench step --algo maml --image 16 --filters 4 --meta-batch 5 --iters 2 --warmup 1 --threads "
      "1";
  const Result one = run_cezanne(args);
  ASSERT_EQ(one.status, 0) << one.output;
  for (int np : {2, 3}) {
    const Result r =
        run_cezanne(args,
                    "OMPI_MCA_btl_vader_single_copy_mechanism=none mpirun --allow-run-as-root "
                    "--oversubscribe -np " +
                        std::to_string(np) + " ");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(field(r.output, "ranks"), std::to_string(np)) << r.output;
    // Same tasks and parameters; only the f32 summation order of the gradient differs.
    const double expected = std::stod(field(one.output, "last_loss"));
    EXPECT_NEAR(std::stod(field(r.output, "last_loss")), expected, 1e-4 * std::abs(expected))
        << r.output;
    EXPECT_EQ(field(r.output, "meta_batch"), "5") << r.output;
  }
}

}  // namespace
