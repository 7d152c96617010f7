// jobs/scaling.sbatch on the local Slurm: the sweep at P = 1, 2 inside one allocation of 2
// tasks, one `cezanne bench scaling` line per algorithm and rank count with every field, the
// 2-rank lines' efficiency against the 1-rank ones, and the plot.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "slurm/LocalSlurm.hpp"
#include "train/TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

using slurm::test::LocalSlurm;
using slurm::test::source_dir;

std::string file_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ScalingJob, SweepsOneAndTwoRanksAndPlots) {
  const LocalSlurm& slurm = LocalSlurm::get();
  if (!slurm.skip.empty()) GTEST_SKIP() << slurm.skip;
  ASSERT_TRUE(slurm.failure.empty()) << slurm.failure;
  const TempDir root("slurm-scaling");
  const fs::path out = root.path / "sweep", log = root.path / "scaling.log";
  // As a user submits it, with a small step; the default rank list of 2 tasks is 1,2.
  const SpawnResult r = spawn({"sbatch", "--wait", "--chdir=" + source_dir(), "--output=" + log.string(),
                               "--export=ALL,CEZANNE_BIN=" + cezanne_binary() + ",CEZANNE_SCALING_ITERS=2",
                               "jobs/scaling.sbatch", out.string(), "--ways", "3", "--queries", "2", "--image",
                               "16", "--filters", "4", "--warmup", "1", "--threads", "1"},
                              300);
  ASSERT_EQ(r.status, 0) << r.output << file_text(log);
  std::ifstream in(out / "scaling.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4U) << file_text(log);
  const std::vector<std::string> algos = {"protonet", "protonet", "maml", "maml"};
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    for (const char* key :
         {"\"bench\":\"scaling\"", "\"mode\":\"weak\"", "\"model\":\"conv4\"", "\"ways\":3", "\"filters\":4",
          "\"tasks_per_rank\":4", "\"iters\":2", "\"threads\":1", "\"overlap\":", "\"bucket_kb\":",
          "\"seconds_per_step\":", "\"sampling_s\":", "\"compute_s\":", "\"communication_s\":", "\"optimizer_s\":",
          "\"tasks_per_s\":", "\"steps_per_s\":", "\"efficiency\":"})
      EXPECT_NE(line.find(key), std::string::npos) << key << " in " << line;
    EXPECT_NE(line.find("\"algo\":\"" + algos[i] + "\""), std::string::npos) << line;
    const bool one = i % 2 == 0;
    EXPECT_NE(line.find(one ? "\"ranks\":1,\"meta_batch\":4," : "\"ranks\":2,\"meta_batch\":8,"), std::string::npos)
        << line;
    EXPECT_EQ(line.find("\"efficiency\":null") != std::string::npos, one) << line;
  }
  EXPECT_GT(fs::file_size(out / "scaling.png"), 0U) << file_text(log);
}

}  // namespace
}  // namespace cz::train::testing
