// --collectives: NCCL from device memory or the world's communicator, chosen and refused alike by
// train and bench step.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "TrainFixtures.hpp"
#include "cezanne/backend/CudaRuntime.hpp"
#include "cezanne/dist/Bootstrap.hpp"
#include "cezanne/train/StepCommunicator.hpp"
#include "dist/backend/stub/StubCommunicator.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;

std::string refusal(const std::string& choice, Device device) {
  try {
    resolve_collectives(choice, device, 2);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Collectives, AutoIsNcclExactlyOnGpusOfSeveralRanksWithNccl) {
  EXPECT_EQ(resolve_collectives("auto", Device::cpu(), 4), "mpi");
  EXPECT_EQ(resolve_collectives("auto", Device::check(1), 4), "mpi");
  EXPECT_EQ(resolve_collectives("auto", Device::cuda(3), 4), dist::nccl_built() ? "nccl" : "mpi");
  EXPECT_EQ(resolve_collectives("auto", Device::cuda(0), 1), "mpi");  // one rank: nothing moves
  EXPECT_EQ(resolve_collectives("mpi", Device::cuda(0), 4), "mpi");   // staged host copies
  EXPECT_EQ(resolve_collectives("mpi", Device::check(0), 4), "mpi");
  if (dist::nccl_built()) {
    EXPECT_EQ(resolve_collectives("nccl", Device::cuda(0), 1), "nccl");  // asked for
  }
}

TEST(Collectives, NcclOffAGpuOrWithoutNcclAndUnknownNamesAreRefused) {
  EXPECT_EQ(refusal("nccl", Device::cpu()), "--collectives: nccl moves GPU memory and needs --device cuda, got --device cpu");
  EXPECT_EQ(refusal("nccl", Device::check(0)),
            "--collectives: nccl moves GPU memory and needs --device cuda, got --device check:0");
  if (!dist::nccl_built()) {
    EXPECT_EQ(refusal("nccl", Device::cuda(1)), "--collectives: nccl is not in this build (configure with CEZANNE_WITH_NCCL=ON)");
  }
  EXPECT_EQ(refusal("gloo", Device::cpu()), "--collectives: auto, nccl or mpi, got 'gloo'");
}

TEST(Collectives, MpiIsTheWorldItself) {
  dist::detail::StubCommunicator world;
  const auto comm = step_communicator("auto", world, Device::check(0));
  EXPECT_EQ(comm.get(), &world);
  EXPECT_EQ(comm.use_count(), 0);  // not owned: the world outlives every step
}

class CollectivesCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("collectives");
    make_store(root_->path / "store");
  }
  static void TearDownTestSuite() { delete root_; }
  static std::string run(const std::string& extra) {
    return train_args({{"--algo", "protonet"},
                       {"--store", (root_->path / "store").string()},
                       {"--out", (root_->path / "run").string()},
                       {"--filters", "8"},
                       {"--ways", "3"},
                       {"--shots", "1"},
                       {"--queries", "2"},
                       {"--meta-batch", "2"},
                       {"--steps", "1"},
                       {"--val-episodes", "2"},
                       {"--threads", "1"}},
                      extra);
  }
  static TempDir* root_;
};
TempDir* CollectivesCli::root_ = nullptr;

TEST_F(CollectivesCli, NcclWithoutAGpuIsOneLineExitTwo) {
  SpawnResult r = cezanne(run("--device check --collectives nccl"));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "cezanne train: --collectives: nccl moves GPU memory and needs --device cuda, got --device check:0\n");
  r = cezanne(run("--collectives gloo"));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "cezanne train: --collectives: auto, nccl or mpi, got 'gloo'\n");
  EXPECT_FALSE(fs::exists(root_->path / "run"));
  r = cezanne("bench step --filters 8 --meta-batch 2 --iters 1 --warmup 0 --device check --collectives nccl");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "cezanne bench step: --collectives: nccl moves GPU memory and needs --device cuda, got --device check:0\n");
}

TEST_F(CollectivesCli, BenchStepNamesTheCollectivesItUsed) {
  const SpawnResult r =
      cezanne("bench step --algo protonet --filters 8 --ways 3 --queries 2 --meta-batch 2 --iters 1 --warmup 0 "
              "--threads 1 --device check");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"collectives\":\"mpi\""));
  EXPECT_THAT(r.output, HasSubstr("\"device\":\"check:0\""));
}

// On a GPU (skipped without one): a short second-order MAML run on one rank reduces its gradient
// through NCCL from device memory with --overlap on and off (buckets of 1 KiB, so several per
// step, launched from the leaves' hooks) and through the single-rank division of --collectives
// mpi; all three end with the same checkpoint bits (the same sums of one rank, the same x / B).
TEST_F(CollectivesCli, OneGpuEndsWithTheSameBitsThroughNcclOverlappedOrNotAndWithout) {
  if (cz::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  if (!dist::nccl_built()) GTEST_SKIP() << "no NCCL in this build";
  const std::vector<std::pair<std::string, std::string>> runs{
      {"nccl-off", "--collectives nccl --overlap off"}, {"nccl-on", "--collectives nccl --overlap on"}, {"mpi", "--collectives mpi"}};
  for (const auto& [name, extra] : runs) {
    const fs::path out = root_->path / name;
    const SpawnResult r = cezanne(run("--algo maml --steps 3 --meta-batch 4 --bucket-kb 1 --device cuda --out " +
                                      out.string() + " " + extra));
    ASSERT_EQ(r.status, 0) << name << ": " << r.output;
  }
  expect_same_state(root_->path / "nccl-off" / "checkpoint-00000003.h5", root_->path / "nccl-on" / "checkpoint-00000003.h5");
  expect_same_state(root_->path / "nccl-off" / "checkpoint-00000003.h5", root_->path / "mpi" / "checkpoint-00000003.h5");
}

}  // namespace
}  // namespace cz::train::testing
