// A failing or hanging rank ends the whole job quickly, with the rank and the cause printed.
#include <gtest/gtest.h>

#include "dist/Spawn.hpp"

namespace cz::dist::test {
namespace {

// The job must end within kLimit; the test kills it at kDeadline so it can never hang.
constexpr double kLimit = 30.0, kDeadline = 60.0;

TEST(Failure, ThrowingRankEndsEveryRank) {
  auto argv = mpirun(2);
  for (std::string a : {cezanne_binary(), std::string("bench"), std::string("allreduce"), std::string("--bytes"),
                        std::string("64M"), std::string("--iters"), std::string("1000"), std::string("--inject-failure"),
                        std::string("throw:1")})
    argv.push_back(a);
  const SpawnResult r = spawn(argv, kDeadline);
  EXPECT_FALSE(r.killed) << "the job hung:\n" << r.output;
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_LT(r.seconds, kLimit) << r.output;
  EXPECT_NE(r.output.find("cezanne: rank 1: injected failure (test hook --inject-failure throw)"), std::string::npos)
      << r.output;
}

TEST(Failure, WatchdogEndsACollectiveBlockedByAHungRank) {
  auto argv = mpirun(2);
  for (std::string a : {cezanne_binary(), std::string("bench"), std::string("allreduce"), std::string("--bytes"),
                        std::string("1K"), std::string("--inject-failure"), std::string("hang:1"),
                        std::string("--watchdog-seconds"), std::string("3")})
    argv.push_back(a);
  const SpawnResult r = spawn(argv, kDeadline);
  EXPECT_FALSE(r.killed) << "the job hung:\n" << r.output;
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_LT(r.seconds, kLimit) << r.output;
  EXPECT_NE(r.output.find("cezanne: rank 0: collective "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" blocked for 3 s"), std::string::npos) << r.output;
}

TEST(Failure, BadCommandLineIsAUsageError) {
  const SpawnResult r = spawn({cezanne_binary(), "bench", "allreduce", "--bytes", "4K..1K"}, kDeadline);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--bytes: need 0 < MIN <= MAX"), std::string::npos) << r.output;
}

TEST(BenchAllreduce, OneJsonLinePerSizeFromRankZero) {
  auto argv = mpirun(2);
  for (std::string a : {cezanne_binary(), std::string("bench"), std::string("allreduce"), std::string("--bytes"),
                        std::string("1K..4K"), std::string("--iters"), std::string("3"), std::string("--warmup"),
                        std::string("1")})
    argv.push_back(a);
  const SpawnResult r = spawn(argv, kDeadline);
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* bytes : {"\"bytes\":1024,", "\"bytes\":2048,", "\"bytes\":4096,"}) {
    const std::string key = std::string("{\"bench\":\"allreduce\",\"backend\":\"mpi\",\"dtype\":\"f32\",\"ranks\":2,") + bytes;
    const auto at = r.output.find(key);
    ASSERT_NE(at, std::string::npos) << key << "\n" << r.output;
    EXPECT_EQ(r.output.find(key, at + 1), std::string::npos) << "printed by more than one rank\n" << r.output;
    const std::string line = r.output.substr(at, r.output.find('\n', at) - at);
    for (const char* field : {"\"time_us\":", "\"algbw_gbps\":", "\"busbw_gbps\":", "\"ring_model_us\":"})
      EXPECT_NE(line.find(field), std::string::npos) << line;
    // busbw = algbw * 2(P-1)/P = algbw at P = 2.
    const double algbw = std::stod(line.substr(line.find("\"algbw_gbps\":") + 13));
    const double busbw = std::stod(line.substr(line.find("\"busbw_gbps\":") + 13));
    EXPECT_NEAR(busbw, algbw, 1e-9 * algbw + 1e-12) << line;
  }
}

}  // namespace
}  // namespace cz::dist::test
