// --device resolution per rank: "cuda" is the node-local rank's GPU, anything else as given.
#include <gtest/gtest.h>

#include <cstdlib>

#include "cezanne/dist/RankDevice.hpp"
#include "cezanne/tensor/Error.hpp"

namespace cz::dist {
namespace {

TEST(RankDevice, LocalRankModVisibleDevices) {
  EXPECT_EQ(local_device_index(0, 4), 0);
  EXPECT_EQ(local_device_index(3, 4), 3);
  EXPECT_EQ(local_device_index(5, 4), 1);  // more ranks than GPUs: they share, round robin
  EXPECT_EQ(local_device_index(2, 1), 0);  // --gpus-per-task=1: each rank sees its own as 0
  EXPECT_EQ(local_device_index(0, 0), -1);
  EXPECT_EQ(local_device_index(-1, 2), -1);
}

TEST(RankDevice, CudaWithoutIndexIsTheLocalRanksGpu) {
  EXPECT_EQ(rank_device("cuda", 0, 8), Device::cuda(0));
  EXPECT_EQ(rank_device("cuda", 3, 8), Device::cuda(3));
  EXPECT_EQ(rank_device("cuda", 9, 8), Device::cuda(1));
  EXPECT_EQ(rank_device("cuda", 3, 1), Device::cuda(0));
  // None visible: cuda:0, which the backend refuses with "this machine has no CUDA device".
  EXPECT_EQ(rank_device("cuda", 2, 0), Device::cuda(0));
}

TEST(RankDevice, EveryOtherTextIsTakenAsGiven) {
  EXPECT_EQ(rank_device("cuda:2", 3, 8), Device::cuda(2));
  EXPECT_EQ(rank_device("cuda:0", 3, 8), Device::cuda(0));
  EXPECT_EQ(rank_device("cpu", 3, 8), Device::cpu());
  EXPECT_EQ(rank_device("check", 3, 8), Device::check(0));
  EXPECT_EQ(rank_device("check:1", 3, 8), Device::check(1));
  try {
    rank_device("gpu", 0, 1);
    FAIL() << "no error";
  } catch (const DeviceError& e) {
    EXPECT_STREQ(e.what(), "unknown device 'gpu' (expected cpu, cuda[:N] or check[:N])");
  }
}

TEST(RankDevice, LauncherLocalRankFromTheEnvironment) {
  const char* names[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"};
  for (const char* name : names) unsetenv(name);
  EXPECT_EQ(launcher_local_rank(), 0);
  setenv("SLURM_LOCALID", "5", 1);
  EXPECT_EQ(launcher_local_rank(), 5);  // srun
  setenv("MPI_LOCALRANKID", "2", 1);
  EXPECT_EQ(launcher_local_rank(), 2);  // MPICH's mpiexec inside a Slurm job: not the job's 0
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1", 1);
  EXPECT_EQ(launcher_local_rank(), 1);  // Open MPI's mpirun first
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "x", 1);
  EXPECT_EQ(launcher_local_rank(), 2);  // not a number: the next one
  for (const char* name : names) unsetenv(name);
  EXPECT_EQ(rank_device("check:1"), Device::check(1));
}

}  // namespace
}  // namespace cz::dist
