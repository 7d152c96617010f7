// What a training step reads back from its device: counted on the checking device, whose every
// copy to the host is one place where a GPU would make the host wait.
#include <gtest/gtest.h>

#include "TrainFixtures.hpp"
#include "backend/check/CheckBackend.hpp"
#include "cezanne/train/Trainer.hpp"
#include "dist/backend/stub/StubCommunicator.hpp"

namespace cz::train::testing {
namespace {

class HostCopies : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("host-copies");
    make_store(root_->path / "store");
  }
  static void TearDownTestSuite() { delete root_; }

  // Device-to-host copies of a whole `train --device check` run of `steps` steps on one process:
  // set-up, the steps, the validation and the checkpoint at the end.
  static uint64_t copies_of_run(const std::string& algo, int64_t steps, int64_t tasks_per_pass) {
    TrainConfig c;
    c.algo = algo;
    c.store = (root_->path / "store").string();
    c.out = (root_->path / (algo + "-" + std::to_string(steps) + "-" + std::to_string(tasks_per_pass))).string();
    c.filters = 8;
    c.ways = 3;
    c.shots = 1;
    c.queries = 2;
    c.meta_batch = 4;
    c.tasks_per_pass = tasks_per_pass;
    c.steps = steps;
    c.checkpoint_every = 1000;  // only the last step's
    c.val_every = 0;            // only at the last step
    c.val_episodes = 2;
    c.threads = 1;
    c.device = "check";
    RunPlan plan = plan_run(c);
    dist::detail::StubCommunicator world;
    const uint64_t before = check::device_to_host_copies();
    EXPECT_EQ(train(plan, world), 0);
    return check::device_to_host_copies() - before;
  }

  static TempDir* root_;
};
TempDir* HostCopies::root_ = nullptr;

// Three more steps cost three times a step's copies, whatever the passes of --tasks-per-pass:
// the metrics of all its passes (per-task query losses and numbers of correct queries) in one
// copy after the last backward, and the finite check of the reduced meta-gradient (one flag).
// Nothing else: no label read, no host copy of the gradient (one rank divides it on the device).
TEST_F(HostCopies, MamlAndProtoNetStepsReadBackTheirMetricsOnceAndTheFiniteCheck) {
  for (const std::string algo : {"maml", "protonet"}) {  // maml: second order, one inner step
    for (const int64_t tasks_per_pass : {int64_t{1}, int64_t{4}}) {  // 4 passes of the 4 tasks, 1
      const uint64_t one = copies_of_run(algo, 1, tasks_per_pass), four = copies_of_run(algo, 4, tasks_per_pass);
      EXPECT_EQ(four - one, uint64_t{3 * 2}) << algo << " --tasks-per-pass " << tasks_per_pass;
    }
  }
}

}  // namespace
}  // namespace cz::train::testing
