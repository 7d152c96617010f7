// cezanne under a real single-node Slurm: `srun --mpi=pmix` gives one MPI world of all
// tasks, and `srun --mpi=none` (independent singletons) is refused instead of training alone.
// Slurm is started on localhost by tests/slurm/local-slurm.sh (root only; see docs/slurm.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "dist/Spawn.hpp"
#include "slurm/LocalSlurm.hpp"

namespace {

using cz::dist::test::cezanne_binary;
using cz::dist::test::spawn;
using cz::dist::test::SpawnResult;

std::vector<std::string> lines_with(const std::string& text, const std::vector<std::string>& needles) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    bool all = !line.empty() && line.front() == '{';
    for (const auto& n : needles) all = all && line.find(n) != std::string::npos;
    if (all) out.push_back(line);
  }
  return out;
}

// `timeout` ends srun (which cancels its step) well before the spawn deadline kills the group.
std::vector<std::string> srun(const std::string& mpi, int tasks) {
  return {"timeout", "-k", "10", "120", "srun", "--mpi=" + mpi, "-n", std::to_string(tasks), "-t", "2",
          cezanne_binary(), "bench", "allreduce", "--bytes", "1K..4K", "--iters", "3"};
}

class SrunBootstrap : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto& slurm = cz::slurm::test::LocalSlurm::get();
    if (!slurm.skip.empty()) GTEST_SKIP() << slurm.skip;
    ASSERT_TRUE(slurm.failure.empty()) << slurm.failure;
  }
};

TEST_F(SrunBootstrap, PmixGivesOneWorldOfAllTasks) {
  const SpawnResult r = spawn(srun("pmix", 2), 150.0);
  ASSERT_FALSE(r.killed) << r.output;
  ASSERT_EQ(r.status, 0) << r.output;
  // One line per message size (1K, 2K, 4K), printed by rank 0 only.
  const auto rows = lines_with(r.output, {"\"bench\":\"allreduce\"", "\"ranks\":2"});
  EXPECT_EQ(rows.size(), 3u) << r.output;
  EXPECT_TRUE(lines_with(r.output, {"\"ranks\":1"}).empty()) << r.output;
}

TEST_F(SrunBootstrap, NoPmiPluginIsRefusedNamingPmix) {
  const SpawnResult r = spawn(srun("none", 2), 150.0);
  ASSERT_FALSE(r.killed) << r.output;
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.status, 124) << "srun hit the 120 s timeout:\n" << r.output;
  // Two singletons must not each run the benchmark alone.
  EXPECT_TRUE(lines_with(r.output, {"\"bench\":\"allreduce\""}).empty()) << r.output;
  // The bootstrap's message (src/dist/Bootstrap.cpp) names the cause and the fix.
  EXPECT_NE(r.output.find("Slurm started 2 tasks but MPI sees 1 rank; launch with srun --mpi=pmix"),
            std::string::npos)
      << r.output;
}

}  // namespace
