// `cezanne bench step` as a user runs it: one JSON line with the rates, clear usage errors.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct Result {
  int status = -1;
  std::string output;
};

Result run_cezanne(const std::string& args) {
  const char* env = std::getenv("CEZANNE_BINARY");
  const std::string binary = env != nullptr && *env != '\0' ? env : CEZANNE_TEST_BINARY;
  const std::string command = "'" + binary + "' " + args + " 2>&1";
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int raw = pclose(pipe);
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return result;
}

TEST(BenchStepCli, PrintsOneJsonLineWithRatesAndOptions) {
  for (const char* algo : {"maml", "fomaml", "anil", "protonet", "matching", "siamese"}) {
    const Result r = run_cezanne(std::string("bench step --algo ") + algo +
                                 " --ways 3 --shots 1 --queries 2 --meta-batch 2 --image 16 --filters 4 --iters 2 "
                                 "--warmup 1 --threads 1");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output.front(), '{') << r.output;
    EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << r.output;
    for (const char* key : {"\"tasks_per_s\":", "\"meta_steps_per_s\":", "\"peak_rss_mb\":", "\"meta_batch\":2",
                            "\"ways\":3", "\"image\":16", "\"filters\":4", "\"threads\":1", "\"ranks\":1"})
      EXPECT_NE(r.output.find(key), std::string::npos) << key << " in " << r.output;
    EXPECT_NE(r.output.find(std::string("\"algo\":\"") + algo + "\""), std::string::npos) << r.output;
  }
  const Result mlp =
      run_cezanne("bench step --algo maml --model mlp --shots 10 --queries 10 --meta-batch 4 --inner-lr 0.01 --iters 2");
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
           Case{"--algo reptile", "--algo: one of maml, fomaml, anil, protonet, matching, siamese; got 'reptile'"},
           Case{"--model resnet", "--model: conv4 or mlp, got 'resnet'"},
           Case{"--model mlp --algo protonet", "--algo must be maml, fomaml or anil"},
           Case{"--image 8", "Conv4: image 8 is too small for 4 pooling layers (needs >= 16)"},
           Case{"--meta-batch 0", "--meta-batch must be >= 1"},
           Case{"--iters 0", "--iters must be >= 1"},
       }) {
    const Result r = run_cezanne(std::string("bench step ") + c.args);
    EXPECT_EQ(r.status, 2) << c.args << ": " << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << ": " << r.output;
    EXPECT_EQ(r.output.find("cezanne bench step: "), 0u) << r.output;
  }
}

}  // namespace
