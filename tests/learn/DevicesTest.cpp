// Every objective on the checking devices: the per-task losses and the gradient of their sum on
// check:0 (the CPU's kernels behind a device the code above the backend may not read) equal the
// CPU's bit for bit, and on check:1 (the backend interface's composite kernels) to round-off. A
// host read left in a learner, a loss or the sampler's batch throws here.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "LearnFixtures.hpp"
#include "cezanne/autograd/Grad.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/Algorithms.hpp"
#include "cezanne/learn/MultiTaskObjective.hpp"
#include "cezanne/learn/SinusoidTasks.hpp"
#include "cezanne/learn/TaskWeighting.hpp"
#include "cezanne/learn/Vae.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/MLP.hpp"
#include "nn/TinyTaskNet.hpp"

namespace cz::learn {
namespace {

using Results = std::vector<std::vector<double>>;

// The losses, the metrics and every parameter's gradient, on the host.
Results collect(const Var& losses, const Metrics& m, nn::Params& params) {
  sum(losses).backward();
  Results r{losses.data().to_vector(), {m.loss, m.accuracy}};
  for (size_t i = 0; i < params.size(); ++i) r.push_back(params[i].grad().to_vector());
  return r;
}

void expect_agree(const std::function<Results(Device)>& run, const std::string& label) {
  const Results cpu = run(Device::cpu());
  EXPECT_EQ(run(Device::check(0)), cpu) << label << " on check:0";
  const Results composite = run(Device::check(1));
  ASSERT_EQ(composite.size(), cpu.size()) << label;
  for (size_t i = 0; i < cpu.size(); ++i) {
    ASSERT_EQ(composite[i].size(), cpu[i].size()) << label;
    for (size_t k = 0; k < cpu[i].size(); ++k)
      EXPECT_NEAR(composite[i][k], cpu[i][k], 1e-9 * (1 + std::abs(cpu[i][k])))
          << label << " on check:1, " << i;
  }
}

TEST(Devices, EveryMetaLearnerComputesTheSameOnEveryBackend) {
  const data::EpisodeBatch host = testing::image_batch(2, 41, 7);
  for (const Algorithm& a : algorithms()) {
    if (a.kind != Algorithm::Kind::episodic || a.regression_only) continue;
    for (const MetaRegularization reg :
         {MetaRegularization::none, MetaRegularization::weight_noise}) {
      const auto learner = make_learner(testing::image_config(a, reg, a.name == "mann"));
      expect_agree(
          [&](Device device) {
            nn::Params params(learner->specs(), DType::f64, device);
            params.initialize(3);
            Metrics m;
            const Var losses = learner->task_losses(params.list(), host.to(device), &m);
            return collect(losses, m, params);
          },
          a.name + (reg == MetaRegularization::none ? "" : " + weight noise"));
    }
  }
}

TEST(Devices, RegressionLearnersComputeTheSameOnEveryBackend) {
  const SinusoidTasks tasks({.shots = 5, .queries = 4}, 11);
  const data::EpisodeBatch host = tasks.sample_batch(2, {0, 1, 2});
  for (const char* algorithm : {"maml", "fomaml", "anil", "pretrain", "neural_process"}) {
    const auto learner = make_learner(testing::sinusoid_config(algorithm));
    expect_agree(
        [&](Device device) {
          nn::Params params(learner->specs(), DType::f32, device);
          params.initialize(5);
          Metrics m;
          const Var losses = learner->task_losses(params.list(), host.to(device), &m);
          return collect(losses, m, params);
        },
        algorithm);
  }
}

TEST(Devices, MultiTaskObjectiveComputesTheSameOnEveryBackend) {
  data::TaskBatch host;
  host.inputs = Tensor::uniform({3, 4, 1, 16, 16}, 0, 1, 5, 0, DType::f64);
  host.labels = Tensor::from_i64({0, 1, 2, 3, 1, 0, 1, 0, 2, 1, 0, 2}, {3, 4});
  host.class_ids = host.labels;
  host.example_ids = host.labels;
  host.tasks = {0, 1, 2};
  for (const nn::Conditioning conditioning :
       {nn::Conditioning::share_nothing, nn::Conditioning::concat_input, nn::Conditioning::film,
        nn::Conditioning::multi_head}) {
    const MultiTaskObjective objective(cz::testing::tiny(conditioning), {4, 2, 3}, true);
    expect_agree(
        [&](Device device) {
          nn::Params params(objective.specs(), DType::f64, device);
          params.initialize(9);
          const data::TaskBatch batch = host.to(device);
          const TaskLosses out = objective.losses(params.list(), batch);
          const Var weighted =
              uncertainty_weighted(out.losses, params.list()[objective.log_variance_index()],
                                   Tensor::from_i64(batch.tasks, {3}, device));
          return collect(weighted, {}, params);
        },
        nn::to_string(conditioning));
  }
}

// The VAE's training losses (reparameterized noise made on the device) with their gradient, and
// its evaluation bounds.
TEST(Devices, VaeComputesTheSameOnEveryBackend) {
  data::TaskBatch host;
  host.inputs = Tensor::uniform({2, 3, 1, 4, 4}, 0, 1, 5, 0, DType::f64);
  host.slots = {1, 2};
  host.step = 3;
  for (const Likelihood likelihood : {Likelihood::bernoulli, Likelihood::gaussian}) {
    const Vae vae(VaeSpec{16, 8, 3, likelihood, 0.5, 20, false, 1, 1, 4});
    expect_agree(
        [&](Device device) {
          nn::Params params(vae.specs(), DType::f64, device);
          params.initialize(9);
          Results r = collect(vae.losses(params.list(), host.to(device), 4), {}, params);
          r.push_back(vae.evaluate(params.list(), host.inputs.slice(0, 0, 1).slice(1, 0, 1).to(device), 7, 4));
          return r;
        },
        likelihood_name(likelihood));
  }
  const Vae convolutional(VaeSpec{256, 1, 3, Likelihood::bernoulli, 1.0, 4, true, 2, 1, 16});
  data::TaskBatch images = host;
  images.inputs = Tensor::uniform({2, 3, 1, 16, 16}, 0, 1, 6, 0, DType::f64);
  expect_agree(
      [&](Device device) {
        nn::Params params(convolutional.specs(), DType::f64, device);
        params.initialize(9);
        return collect(convolutional.losses(params.list(), images.to(device), 4), {}, params);
      },
      "convolutional");
}

TEST(Devices, HostPointersOfADeviceTensorAreRefused) {
  const Tensor t = Tensor::zeros({2}, DType::f32, Device::check());
  try {
    (void)t.data<float>();
    ADD_FAILURE() << "data<float>() of a check:0 tensor returned a pointer";
  } catch (const DeviceError& e) {
    EXPECT_EQ(std::string(e.what()),
              "Tensor::data: tensor on check:0, not the host; copy it with to(Device::cpu())");
  }
  EXPECT_EQ(t.to(Device::cpu()).data<float>()[1], 0.0f);
  EXPECT_THROW(binary(BinaryOp::add, t, Tensor::zeros({2})), DeviceError);
}

}  // namespace
}  // namespace cz::learn
