// Every objective on the checking devices: the per-task losses and the gradient of their sum on
// check:0 (the CPU's kernels behind a device the code above the backend may not read) equal the
// CPU's bit for bit, and on check:1 (the backend interface's composite kernels) to round-off. A
// host read left in a learner, a loss or the sampler's batch throws here. Where there is a GPU,
// cuda:0 too: every objective to round-off, and a second-order MAML meta-gradient of Conv4 in
// f32 to 1e-4.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "LearnFixtures.hpp"
#include "cezanne/backend/CudaRuntime.hpp"
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

// Each result of `other` within tolerance * (1 + |cpu|) of the CPU's.
void expect_near(const Results& other, const Results& cpu, double tolerance, const std::string& label) {
  ASSERT_EQ(other.size(), cpu.size()) << label;
  for (size_t i = 0; i < cpu.size(); ++i) {
    ASSERT_EQ(other[i].size(), cpu[i].size()) << label;
    for (size_t k = 0; k < cpu[i].size(); ++k)
      EXPECT_NEAR(other[i][k], cpu[i][k], tolerance * (1 + std::abs(cpu[i][k]))) << label << ", " << i;
  }
}

// check:0 bitwise, check:1 to 1e-9, and cuda:0 where there is one to `gpu_tolerance` (its sums
// run in other orders: 1e-9 in f64, 1e-5 in f32).
void expect_agree(const std::function<Results(Device)>& run, const std::string& label, double gpu_tolerance = 1e-9) {
  const Results cpu = run(Device::cpu());
  EXPECT_EQ(run(Device::check(0)), cpu) << label << " on check:0";
  expect_near(run(Device::check(1)), cpu, 1e-9, label + " on check:1");
  if (cuda::device_count() > 0) expect_near(run(Device::cuda(0)), cpu, gpu_tolerance, label + " on cuda:0");
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
        algorithm, 1e-5);
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

// Second-order MAML (two inner steps) on Conv4 in f32, the dtype of training: the per-task
// losses, the metrics and the meta-gradient (every parameter's gradient as one vector; the conv
// biases before batch norm have a gradient of zero, round-off on both devices) on the GPU within
// 1e-4 of the CPU's, relative.
TEST(Devices, MamlMetaGradientOnTheGpuEqualsTheCpus) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  data::EpisodeBatch host = testing::image_batch(4, 43, 2);
  host.support = host.support.to(DType::f32);
  host.query = host.query.to(DType::f32);
  LearnerConfig config = testing::image_config(*find_algorithm("maml"), MetaRegularization::none);
  config.model = std::make_shared<nn::Conv4>(32, 1, 16, 3);
  config.multi_step_loss = false;
  const auto learner = make_learner(config);
  const auto run = [&](Device device) {
    nn::Params params(learner->specs(), DType::f32, device);
    params.initialize(3);
    Metrics m;
    const Var losses = learner->task_losses(params.list(), host.to(device), &m);
    return collect(losses, m, params);
  };
  const Results cpu = run(Device::cpu()), gpu = run(Device::cuda(0));
  ASSERT_EQ(gpu.size(), cpu.size());
  for (size_t i = 0; i < 2; ++i)
    for (size_t k = 0; k < cpu[i].size(); ++k)
      EXPECT_NEAR(gpu[i][k], cpu[i][k], 1e-4 * std::abs(cpu[i][k])) << (i == 0 ? "loss of task " : "metric ") << k;
  double difference = 0, norm = 0;
  for (size_t i = 2; i < cpu.size(); ++i) {
    ASSERT_EQ(gpu[i].size(), cpu[i].size());
    for (size_t k = 0; k < cpu[i].size(); ++k) {
      difference += (gpu[i][k] - cpu[i][k]) * (gpu[i][k] - cpu[i][k]);
      norm += cpu[i][k] * cpu[i][k];
    }
  }
  EXPECT_GT(norm, 0.0);
  EXPECT_LE(std::sqrt(difference), 1e-4 * std::sqrt(norm));
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
