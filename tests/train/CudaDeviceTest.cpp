// `--device cuda[:N]` of train, eval and bench step: a device this machine lacks is one line and
// exit 2 before anything is written (on every machine: without a GPU, or in a build without
// CUDA, every cuda device is missing; with N GPUs cuda:N is); on a GPU, a short MAML run
// follows the CPU's run, its checkpoint evaluates there, and bench step times a step.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "TrainFixtures.hpp"
#include "cezanne/BuildInfo.hpp"
#include "cezanne/backend/CudaRuntime.hpp"

namespace cz::train::testing {
namespace {

using ::testing::HasSubstr;

class CudaDevice : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("cuda-device");
    make_store(root_->path / "store");
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path dir(const std::string& name) { return root_->path / name; }

  // 4 steps of MAML on `device` into dir(name).
  static std::string run(const std::string& name, const std::string& device) {
    return small_run(root_->path / "store", dir(name), 4) + " --device " + device;
  }

  // The message of a device this machine (or this build) does not have.
  static std::string missing(const std::string& device) {
    if (!build_info::kWithCuda) return device + ": cezanne was built without CUDA";
    const int count = cuda::device_count();
    if (count == 0) return device + ": this machine has no CUDA device";
    return device + ": this machine has " + std::to_string(count) + " CUDA device" + (count == 1 ? "" : "s");
  }

  static TempDir* root_;
};
TempDir* CudaDevice::root_ = nullptr;

TEST_F(CudaDevice, AMissingGpuIsOneLineExitTwo) {
  const int count = cuda::device_count();
  // Without a GPU both spellings are missing; with N GPUs, cuda:N is.
  const std::vector<std::pair<std::string, std::string>> devices =
      count == 0 ? std::vector<std::pair<std::string, std::string>>{{"cuda", "cuda:0"}, {"cuda:1", "cuda:1"}}
                 : std::vector<std::pair<std::string, std::string>>{
                       {"cuda:" + std::to_string(count), "cuda:" + std::to_string(count)}};
  ASSERT_EQ(cezanne(small_run(root_->path / "store", dir("cpu-for-eval"), 2)).status, 0);
  const fs::path checkpoint = dir("cpu-for-eval") / "checkpoint-00000002.h5";
  for (const auto& [option, name] : devices) {
    SpawnResult r = cezanne(run("missing", option));
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.output, "cezanne train: --device: " + missing(name) + "\n");
    EXPECT_FALSE(fs::exists(dir("missing")));

    r = cezanne("eval --checkpoint " + checkpoint.string() + " --episodes 4 --queries 2 --device " + option);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.output, "cezanne eval: --device: " + missing(name) + "\n");

    r = cezanne("bench step --algo protonet --filters 8 --iters 1 --warmup 0 --device " + option);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.output, "cezanne bench step: --device: " + missing(name) + "\n");
  }
}

TEST_F(CudaDevice, ShortRunFollowsTheCpuAndEvaluatesOnTheGpu) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  SpawnResult r = cezanne(run("cpu", "cpu"));
  ASSERT_EQ(r.status, 0) << r.output;
  r = cezanne(run("gpu", "cuda"));
  ASSERT_EQ(r.status, 0) << r.output;
  // f32 on both, sums in another order: four Adam steps of lr 0.01 stay within 1e-4.
  EXPECT_LT(max_difference(dir("cpu") / "checkpoint-00000004.h5", dir("gpu") / "checkpoint-00000004.h5"), 1e-4);

  r = cezanne("eval --checkpoint " + (dir("gpu") / "checkpoint-00000004.h5").string() +
              " --episodes 6 --queries 2 --threads 1 --device cuda");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"mean\":"));

  r = cezanne("bench step --algo maml --filters 8 --meta-batch 4 --iters 2 --warmup 1 --device cuda");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"device\":\"cuda:0\""));
}

}  // namespace
}  // namespace cz::train::testing
