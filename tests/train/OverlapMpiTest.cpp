// The gradient allreduce overlapped with the last backward pass (--overlap on) leaves the same
// parameters, bit for bit, as the blocking one after backward, on 1, 2 and 4 ranks: ProtoNets,
// second-order MAML (the leaves' gradients come through the inner loop's graph) and MAML in
// several passes of --tasks-per-pass; the buckets do leave during backward.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cezanne/data/SyntheticEpisodes.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/learn/MetaGradient.hpp"
#include "cezanne/learn/Algorithms.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/optim/Adam.hpp"
#include "cezanne/train/Recipe.hpp"
#include "cezanne/train/Step.hpp"
#include "cezanne/train/StepReducer.hpp"
#include "dist/MpiTestMain.hpp"

namespace cz::train {
namespace {

using dist::test::world;

struct Case {
  std::string algo;
  int64_t tasks_per_pass;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.algo << " --tasks-per-pass " << c.tasks_per_pass; }

// A small Conv4 (8 filters, 16x16 images, 3 ways) on synthetic episodes; meta-batch 6 (2, 2, 1, 1
// tasks on 4 ranks).
RunPlan plan_of(const Case& c, const std::string& overlap) {
  RunPlan plan;
  TrainConfig& config = plan.config;
  config.algo = c.algo;
  config.model = "conv4";
  config.meta_batch = 6;
  config.shots = 1;
  config.queries = 2;
  config.tasks_per_pass = c.tasks_per_pass;
  config.overlap = overlap;
  config.bucket_kb = 1;  // buckets of 256 values: most of them leave while backward goes on
  learn::LearnerConfig lc;
  lc.algorithm = c.algo;
  lc.ways = 3;
  lc.inner_lr = 0.1;
  lc.inner_steps = 2;
  lc.model = std::make_shared<nn::Conv4>(8, 1, 16, 3);
  plan.train_episodes = std::make_shared<data::SyntheticEpisodes>(
      data::SyntheticSpec{.ways = 3, .shots = 1, .queries = 2, .channels = 1, .image = 16}, 7);
  plan.learner = learn::make_learner(lc);
  std::vector<std::string> names;
  for (const nn::ParamSpec& spec : plan.specs()) names.push_back(spec.name);
  plan.recipe = std::make_shared<Recipe>(names, plan.config);
  return plan;
}

// Three meta-steps with Adam from the same initialization: the parameters after them.
std::vector<float> train_steps(const Case& c, const std::string& overlap) {
  const RunPlan plan = plan_of(c, overlap);
  nn::Params params(plan.specs(), DType::f32);
  params.initialize(11);
  optim::Adam adam(params, 1e-2, 0.9, 0.999, 1e-8, 0.0, false, plan.recipe->groups());
  const std::unique_ptr<Step> step = make_step(plan, params, world(), 0);
  for (int64_t s = 0; s < 3; ++s) {
    adam.zero_grad();
    step->gradient(s);
    adam.step();
  }
  return params.flat().to_f32_vector();
}

class Overlap : public ::testing::TestWithParam<Case> {};

TEST_P(Overlap, EqualsTheBlockingReducerBitwise) {
  const std::vector<float> blocking = train_steps(GetParam(), "off");
  const std::vector<float> overlapped = train_steps(GetParam(), "on");
  ASSERT_EQ(blocking.size(), overlapped.size());
  size_t differing = 0;
  for (size_t i = 0; i < blocking.size(); ++i)
    if (std::memcmp(&blocking[i], &overlapped[i], sizeof(float)) != 0) ++differing;
  EXPECT_EQ(differing, 0u) << "of " << blocking.size() << " parameters";
}

TEST_P(Overlap, BucketsLeaveDuringTheLastBackward) {
  const RunPlan plan = plan_of(GetParam(), "on");
  nn::Params params(plan.specs(), DType::f32);
  params.initialize(11);
  StepReducer reducer(world(), params, plan.config.meta_batch, true, size_t{1} << 10);
  const std::vector<int64_t> mine = owned_tasks(plan.config.meta_batch, world().rank(), world().size());
  const data::EpisodeBatch batch = plan.train_episodes->sample_batch(0, mine);
  int armed = 0;
  learn::backward_meta_loss(*plan.learner, params.list(), batch, GetParam().tasks_per_pass, [&] {
    ++armed;
    reducer.before_last_backward();
  });
  EXPECT_EQ(armed, 1);  // once, before the last pass's backward only
  const auto buckets = static_cast<int64_t>(reducer.reducer().buckets(static_cast<size_t>(params.numel()), sizeof(float)).size());
  EXPECT_GE(buckets, 8);
  // Every bucket left from a parameter's accumulated hook, in backward: the last one when the
  // input layer's weights settled at its very end.
  EXPECT_EQ(reducer.reducer().overlapped_calls(), buckets);
  reducer.reduce();
  EXPECT_EQ(reducer.reducer().allreduce_calls(), buckets);
}

INSTANTIATE_TEST_SUITE_P(Learners, Overlap,
                         ::testing::Values(Case{"protonet", 0}, Case{"maml", 0}, Case{"maml", 1}),
                         [](const auto& info) {
                           return info.param.algo + "_tasks_per_pass_" + std::to_string(info.param.tasks_per_pass);
                         });

}  // namespace
}  // namespace cz::train

CZ_MPI_TEST_MAIN()
