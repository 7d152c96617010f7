// Fine-tuning recipes: depths, frozen sets at every step of the schedules, per-layer rates
// against a hand-computed SGD step, and the errors.
#include "cezanne/train/Recipe.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "cezanne/nn/Params.hpp"
#include "cezanne/optim/SGD.hpp"

namespace cz::train {
namespace {

// Conv4's layers as the model lists them: block0..block3, then the head.
const std::vector<std::string> kNames{"block0.conv.weight", "block0.bn.gamma", "block1.conv.weight",
                                      "block2.conv.weight", "block3.conv.weight", "block3.bn.beta",
                                      "head.weight",        "head.bias"};

std::vector<bool> frozen_of(const std::vector<int>& frozen_params) {
  std::vector<bool> f(kNames.size(), false);
  for (int i : frozen_params) f[static_cast<size_t>(i)] = true;
  return f;
}

TEST(Recipe, DepthCountsLayersAboveAParametersOwn) {
  const Recipe r(kNames, TrainConfig{});
  EXPECT_EQ(r.layers(), 5);
  const std::vector<int64_t> expected{4, 4, 3, 2, 1, 1, 0, 0};
  for (size_t i = 0; i < kNames.size(); ++i) EXPECT_EQ(r.depth(i), expected[i]) << kNames[i];
  EXPECT_FALSE(r.scheduled());
  EXPECT_EQ(r.frozen_at(0, -1), frozen_of({}));
}

TEST(Recipe, LinearProbeAndTrainableLayers) {
  TrainConfig c;
  c.freeze = "block*";
  EXPECT_EQ(Recipe(kNames, c).frozen_at(123, -1), frozen_of({0, 1, 2, 3, 4, 5}));
  c = {};
  c.trainable = "block1.*,head.*";
  EXPECT_EQ(Recipe(kNames, c).frozen_at(0, -1), frozen_of({0, 1, 3, 4, 5}));
  c.freeze = "head.bias";  // both rules apply
  EXPECT_EQ(Recipe(kNames, c).frozen_at(0, -1), frozen_of({0, 1, 3, 4, 5, 7}));
}

TEST(Recipe, GradualUnfreezingOpensOneMoreLayerEveryNSteps) {
  TrainConfig c;
  c.unfreeze_every = 10;
  const Recipe r(kNames, c);
  EXPECT_TRUE(r.scheduled());
  for (int64_t step : {0, 9}) EXPECT_EQ(r.frozen_at(step, -1), frozen_of({0, 1, 2, 3, 4, 5})) << step;
  for (int64_t step : {10, 19}) EXPECT_EQ(r.frozen_at(step, -1), frozen_of({0, 1, 2, 3})) << step;
  EXPECT_EQ(r.frozen_at(20, -1), frozen_of({0, 1, 2}));
  EXPECT_EQ(r.frozen_at(30, -1), frozen_of({0, 1}));
  for (int64_t step : {40, 1000}) EXPECT_EQ(r.frozen_at(step, -1), frozen_of({})) << step;
}

TEST(Recipe, HeadFirstTrainsTheTopLayerUntilThePhaseEnds) {
  TrainConfig c;
  c.head_first = true;
  c.freeze = "block0.*";
  const Recipe r(kNames, c);
  EXPECT_EQ(r.frozen_at(500, -1), frozen_of({0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(r.frozen_at(59, 60), frozen_of({0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(r.frozen_at(60, 60), frozen_of({0, 1}));  // --freeze still holds
  EXPECT_EQ(r.groups()[6].frozen, false);
  EXPECT_EQ(r.groups()[4].frozen, true);
}

// One SGD step under the recipe's groups: each parameter moves by lr x scale x its gradient,
// scale = --lr-scale's x --lr-decay^depth; frozen ones do not move at all.
TEST(Recipe, PerLayerRatesGiveTheHandComputedSgdStep) {
  const std::vector<std::string> names{"block0.w", "block1.w", "head.w"};
  TrainConfig c;
  c.lr_decay = 0.5;
  c.lr_scale = "block1.*=3";
  const Recipe r(names, c);
  EXPECT_DOUBLE_EQ(r.lr_scale(0), 0.25);  // depth 2
  EXPECT_DOUBLE_EQ(r.lr_scale(1), 1.5);   // 3 x 0.5
  EXPECT_DOUBLE_EQ(r.lr_scale(2), 1.0);
  nn::Params params({{"block0.w", {2}, {}}, {"block1.w", {2}, {}}, {"head.w", {2}, {}}}, DType::f64);
  Tensor flat = params.flat();
  Tensor grad = params.flat_grad();
  for (int64_t i = 0; i < 6; ++i) {
    flat.data<double>()[i] = 1.0 + i;
    grad.data<double>()[i] = 0.5 * (i + 1);
  }
  optim::SGD sgd(params, 0.1, 0.0, 0.0, false, r.groups());
  sgd.step();
  const double scale[3] = {0.25, 1.5, 1.0};
  for (int64_t i = 0; i < 6; ++i)
    EXPECT_DOUBLE_EQ(flat.data<double>()[i], 1.0 + i - 0.1 * scale[i / 2] * 0.5 * (i + 1)) << i;
}

TEST(Recipe, RecipesThatTrainNothingAreRefused) {
  auto error_of = [](const TrainConfig& c) {
    try {
      Recipe(kNames, c);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  TrainConfig c;
  c.freeze = "*";
  EXPECT_EQ(error_of(c), "--freeze/--trainable: every parameter is frozen; nothing to train");
  c = {};
  c.trainable = "block1.*";
  c.head_first = true;
  EXPECT_EQ(error_of(c), "--head-first: the top layer, which trains first, is frozen by --freeze/--trainable");
  c = {};
  c.trainable = "heads.*";
  EXPECT_EQ(error_of(c).substr(0, 45), "--trainable: 'heads.*' matches no parameter (");
}

}  // namespace
}  // namespace cz::train
