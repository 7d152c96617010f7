// `cezanne bench scaling` and `cezanne plot --scaling` as a user runs them: every field of the
// JSON line, the efficiency against the 1-rank line of --out (null without one), strong
// scaling, one-line usage errors; the scaling plot's PNG and its errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "train/TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

// A small Conv4 step: seconds on a loaded machine.
const std::string kSmall = " --ways 3 --queries 2 --image 16 --filters 4 --iters 2 --warmup 1 --threads 1";

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_mpirun() { return std::system("command -v mpirun > /dev/null 2>&1") == 0; }

SpawnResult on_two_ranks(const std::string& args) {
  setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 1);
  return cezanne(args, 240, {"mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2"});
}

double field(const std::string& line, const std::string& name) {
  const size_t at = line.find("\"" + name + "\":");
  EXPECT_NE(at, std::string::npos) << name << " in " << line;
  return at == std::string::npos ? -1.0 : std::strtod(line.c_str() + at + name.size() + 3, nullptr);
}

TEST(BenchScalingCli, WeakLinesHaveEveryFieldAndTheEfficiencyOfTwoRanks) {
  if (!has_mpirun()) GTEST_SKIP() << "no mpirun";
  const TempDir dir("bench-scaling");
  const fs::path out = dir.path / "scaling.jsonl";  // created by the first line
  const std::string args = "bench scaling --algo protonet --mode weak --tasks-per-rank 2 --out " + out.string() + kSmall;
  const SpawnResult one = cezanne(args);
  ASSERT_EQ(one.status, 0) << one.output;
  const SpawnResult two = on_two_ranks(args);
  ASSERT_EQ(two.status, 0) << two.output;
  const std::vector<std::string> lines = read_lines(out);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(one.output, lines[0] + "\n");  // printed by rank 0 too
  for (const std::string& line : lines) {
    for (const char* key :
         {"{\"bench\":\"scaling\",\"mode\":\"weak\",\"algo\":\"protonet\",\"model\":\"conv4\",\"ways\":3,",
          "\"image\":16,\"channels\":1,\"filters\":4,\"tasks_per_rank\":2,\"iters\":2,\"warmup\":1,\"threads\":1,",
          "\"overlap\":\"off\",\"bucket_kb\":25600,", "\"seconds_per_step\":", "\"sampling_s\":", "\"compute_s\":",
          "\"communication_s\":", "\"optimizer_s\":", "\"tasks_per_s\":", "\"steps_per_s\":", "\"efficiency\":"})
      EXPECT_NE(line.find(key), std::string::npos) << key << " in " << line;
    // The four parts add up to the step time (compute is the rest); each is a time.
    const double step = field(line, "seconds_per_step");
    EXPECT_NEAR(field(line, "sampling_s") + field(line, "compute_s") + field(line, "communication_s") +
                    field(line, "optimizer_s"),
                step, 1e-5 * step);  // 6 significant digits each
    for (const char* part : {"sampling_s", "communication_s", "optimizer_s"}) EXPECT_GE(field(line, part), 0.0);
    EXPECT_GT(field(line, "optimizer_s"), 0.0);
    EXPECT_NEAR(field(line, "tasks_per_s"), field(line, "meta_batch") / step, 1e-4 * field(line, "tasks_per_s"));
  }
  EXPECT_NE(lines[0].find("\"ranks\":1,\"meta_batch\":2,"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\"efficiency\":null"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"ranks\":2,\"meta_batch\":4,"), std::string::npos) << lines[1];
  // Weak: (tasks/s at 2 / 2) / (tasks/s at 1).
  EXPECT_NEAR(field(lines[1], "efficiency"), field(lines[1], "tasks_per_s") / 2 / field(lines[0], "tasks_per_s"),
              1e-4);
  // Other settings do not take that 1-rank line as their reference.
  const SpawnResult other = on_two_ranks("bench scaling --algo protonet --tasks-per-rank 3 --out " + out.string() + kSmall);
  ASSERT_EQ(other.status, 0) << other.output;
  EXPECT_NE(read_lines(out).back().find("\"efficiency\":null"), std::string::npos);
}

TEST(BenchScalingCli, StrongKeepsTheGlobalMetaBatch) {
  if (!has_mpirun()) GTEST_SKIP() << "no mpirun";
  const TempDir dir("bench-scaling-strong");
  const fs::path out = dir.path / "scaling.jsonl";
  const std::string args = "bench scaling --algo maml --mode strong --meta-batch 4 --out " + out.string() + kSmall;
  ASSERT_EQ(cezanne(args).status, 0);
  const SpawnResult two = on_two_ranks(args);
  ASSERT_EQ(two.status, 0) << two.output;
  const std::vector<std::string> lines = read_lines(out);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_NE(lines[0].find("\"mode\":\"strong\",\"algo\":\"maml\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\"queries\":2,\"meta_batch\":4,"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"ranks\":2,\"tasks_per_rank\":2,"), std::string::npos) << lines[1];
  // Strong: (tasks/s at 2) / (2 x tasks/s at 1).
  EXPECT_NEAR(field(lines[1], "efficiency"), field(lines[1], "tasks_per_s") / (2 * field(lines[0], "tasks_per_s")),
              1e-4);
}

TEST(BenchScalingCli, BadValuesAreOneLineUsageErrors) {
  struct Case {
    const char* args;
    const char* message;
  };
  for (const Case& c : {
           Case{"--mode diagonal", "--mode: weak or strong, got 'diagonal'"},
           Case{"--tasks-per-rank 0", "--tasks-per-rank: must be in [1, 10000], got 0"},
           Case{"--mode strong --tasks-per-rank 2",
                "--tasks-per-rank: weak scaling only (--mode strong steps --meta-batch tasks over all ranks)"},
           Case{"--meta-batch 8",
                "--meta-batch: strong scaling only (--mode weak steps --tasks-per-rank tasks on each rank)"},
           // Weak: one rank's --tasks-per-rank tasks are checked as bench step checks --meta-batch.
           Case{"--image 1024 --tasks-per-rank 100",
                "--image: 8000 synthetic images of 1 x 1024 x 1024 are 8388608000 values per meta-step, more than "
                "4294967296"},
       }) {
    const SpawnResult r = cezanne(std::string("bench scaling ") + c.args);
    EXPECT_EQ(r.status, 2) << c.args << ": " << r.output;
    EXPECT_EQ(r.output, std::string("cezanne bench scaling: ") + c.message + "\n") << c.args;
  }
}

TEST(PlotScalingCli, WritesThePngAndFileErrorsAreOneLine) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "no gnuplot";
  const TempDir dir("plot-scaling");
  const fs::path lines = dir.path / "scaling.jsonl", png = dir.path / "scaling.png";
  ASSERT_EQ(cezanne("bench scaling --algo protonet --tasks-per-rank 2 --out " + lines.string() + kSmall).status, 0);
  const SpawnResult r = cezanne("plot --scaling " + lines.string() + " --out " + png.string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, png.string() + "\n");
  EXPECT_GT(fs::file_size(png), 0U);

  const fs::path empty = dir.path / "empty.jsonl", other = dir.path / "other.jsonl";
  std::ofstream(empty) << "\n";
  std::ofstream(other) << "{\"bench\":\"step\",\"algo\":\"maml\"}\n";
  struct Case {
    std::string args, message;
    int status;
  };
  for (const Case& c : {
           Case{"--scaling " + (dir.path / "none.jsonl").string() + " --out " + png.string(),
                "error: " + (dir.path / "none.jsonl").string() + ": no such file", 1},
           Case{"--scaling " + empty.string() + " --out " + png.string(), "error: " + empty.string() + ": no lines", 1},
           Case{"--scaling " + other.string() + " --out " + png.string(),
                "error: " + other.string() + ": line 1: no field 'mode' (not a bench scaling line)", 1},
           Case{"--scaling " + lines.string(), "--out: required with --scaling (the PNG to write)", 2},
           Case{"run --scaling " + lines.string() + " --out " + png.string(),
                "give one of RUN_DIR, --tasks or --scaling", 2},
       }) {
    const SpawnResult e = cezanne("plot " + c.args);
    EXPECT_EQ(e.status, c.status) << c.args << ": " << e.output;
    EXPECT_EQ(e.output, "cezanne plot: " + c.message + "\n") << c.args;
  }
}

}  // namespace
}  // namespace cz::train::testing
