// The single-process stub: what a run without mpirun sees.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "cezanne/dist/Bootstrap.hpp"
#include "cezanne/dist/Failure.hpp"
#include "cezanne/dist/GradientReducer.hpp"
#include "cezanne/dist/Log.hpp"

namespace cz::dist {
namespace {

std::shared_ptr<Communicator> stub() {
  // ctest runs this file without a launcher; guard against a developer's mpirun wrapper.
  if (launched_in_parallel()) return nullptr;
  return init(nullptr, nullptr);
}

TEST(StubCommunicator, IsOneRank) {
  auto c = stub();
  if (!c) GTEST_SKIP() << "started under a parallel launcher";
  EXPECT_STREQ(c->backend(), "stub");
  EXPECT_EQ(c->rank(), 0);
  EXPECT_EQ(c->size(), 1);
  EXPECT_EQ(c->local_rank(), 0);
  EXPECT_EQ(c->local_size(), 1);
  EXPECT_EQ(init(nullptr, nullptr), c);  // one world per process
}

TEST(StubCommunicator, CollectivesAreIdentityOrCopy) {
  auto c = stub();
  if (!c) GTEST_SKIP();
  std::vector<float> v = {1, 2, 3};
  c->allreduce_sum(std::span<float>(v));
  EXPECT_EQ(v, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(c->allgather_checked<float>(v), v);
  EXPECT_EQ(c->allgather_counts(5), (std::vector<size_t>{5}));
  c->broadcast(std::span<float>(v), 0);
  EXPECT_THROW(c->broadcast(std::span<float>(v), 1), DistError);
  c->barrier();
  EXPECT_TRUE(all_finite(*c, true));
  EXPECT_FALSE(all_finite(*c, false));
  GradientReducer reducer(*c, 8);
  reducer.reduce(std::span<float>(v), 2);
  EXPECT_EQ(v, (std::vector<float>{0.5f, 1.0f, 1.5f}));
}

TEST(StubCommunicator, RunGuardedPrintsRankAndCause) {
  auto c = stub();
  if (!c) GTEST_SKIP();
  EXPECT_EQ(run_guarded(*c, [] { return 3; }), 3);
  testing::internal::CaptureStderr();
  const int status = run_guarded(*c, []() -> int { throw std::runtime_error("the cause"); });
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(status, 1);
  EXPECT_EQ(err, "cezanne: rank 0: the cause\n");
}

TEST(StubCommunicator, LogAndErrorFormat) {
  auto c = stub();
  if (!c) GTEST_SKIP();
  testing::internal::CaptureStdout();
  log(*c, "step 1");
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "step 1\n");
  EXPECT_EQ(with_rank(3, "x"), "rank 3: x");
}

TEST(StubCommunicator, NcclAbsentOrNeedsADevice) {
  auto c = stub();
  if (!c) GTEST_SKIP();
  // Without NCCL in the build, or without a GPU, asking for it is a clear error, not a crash.
  if (!nccl_built()) {
    EXPECT_THROW(make_nccl_communicator(*c), DistError);
  }
}

}  // namespace
}  // namespace cz::dist
