// Tf32CliTest.cpp — `--tf32 on|off` of train, eval and bench step: listed in --help, a bad value
// is one usage line (exit 2), and on the CPU the switch changes nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "dist/Spawn.hpp"

namespace {

using cz::dist::test::cezanne_binary;
using cz::dist::test::spawn;
using cz::dist::test::SpawnResult;

SpawnResult cezanne(std::vector<std::string> args) {
  args.insert(args.begin(), cezanne_binary());
  return spawn(args, 120.0);
}

// The value of "key" in a JSON line of flat values ("" when absent).
std::string field(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  const size_t begin = at + key.size() + 3;
  return json.substr(begin, json.find_first_of(",}", begin) - begin);
}

TEST(Tf32Cli, EveryCommandListsIt) {
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"train"}, {"eval"}, {"bench", "step"}}) {
    std::vector<std::string> args = command;
    args.push_back("--help");
    const SpawnResult r = cezanne(args);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("--tf32 arg (=off)"), std::string::npos)
        << command[0] << ": " << r.output;
  }
}

TEST(Tf32Cli, BadValueIsOneUsageLine) {
  const std::filesystem::path out = std::filesystem::path(testing::TempDir()) / "tf32-cli-run";
  struct Case {
    std::vector<std::string> args;
    std::string line;
  };
  for (const Case& c : {
           Case{{"train", "--algo", "maml", "--model", "mlp", "--out", out.string(), "--tf32",
                 "yes"},
                "cezanne train: --tf32: on or off, got 'yes'\n"},
           Case{{"eval", "--baseline", "pixels", "--tf32", "ON"},
                "cezanne eval: --tf32: on or off, got 'ON'\n"},
           Case{{"bench", "step", "--tf32", ""}, "cezanne bench step: --tf32: on or off, got ''\n"},
       }) {
    const SpawnResult r = cezanne(c.args);
    EXPECT_EQ(r.status, 2) << c.args[0] << ": " << r.output;
    EXPECT_EQ(r.output, c.line);
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

// The CPU has no TF32: the same step, the same last loss; the JSON line records the setting.
TEST(Tf32Cli, BenchStepReportsItAndTheCpuIgnoresIt) {
  const std::vector<std::string> step = {
      "bench",     "step", "--algo",       "maml", "--ways",    "3",  "--shots",   "1",
      "--queries", "2",    "--meta-batch", "2",    "--image",   "16", "--filters", "4",
      "--iters",   "2",    "--warmup",     "0",    "--threads", "1",  "--tf32"};
  std::vector<std::string> on = step, off = step;
  on.push_back("on");
  off.push_back("off");
  const SpawnResult a = cezanne(on), b = cezanne(off);
  ASSERT_EQ(a.status, 0) << a.output;
  ASSERT_EQ(b.status, 0) << b.output;
  EXPECT_EQ(field(a.output, "tf32"), "\"on\"") << a.output;
  EXPECT_EQ(field(b.output, "tf32"), "\"off\"") << b.output;
  EXPECT_FALSE(field(a.output, "last_loss").empty()) << a.output;
  EXPECT_EQ(field(a.output, "last_loss"), field(b.output, "last_loss"));
}

}  // namespace
