// SGD (momentum, weight decay, Nesterov) by hand; parameter groups: per-group lr, frozen, decay.
#include "cezanne/optim/SGD.hpp"

#include <gtest/gtest.h>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/nn/Params.hpp"

namespace cz::optim {
namespace {

nn::Params make(const std::vector<std::pair<std::string, double>>& values) {
  std::vector<nn::ParamSpec> specs;
  for (const auto& [name, v] : values) specs.push_back({name, {1}, {nn::Init::constant, v}});
  nn::Params p(specs, DType::f64);
  p.initialize(0);
  return p;
}

TEST(SGD, MomentumAndWeightDecayByHand) {
  nn::Params p = make({{"w", 1.0}});
  SGD sgd(p, /*lr=*/0.1, /*momentum=*/0.9, /*weight_decay=*/0.01);
  p.flat_grad().fill_(0.5);
  sgd.step();
  // d = 0.5 + 0.01 * 1 = 0.51; b = 0.51; p = 1 - 0.1 * 0.51 = 0.949
  EXPECT_NEAR(p.flat().to_vector()[0], 0.949, 1e-15);
  sgd.step();
  // d = 0.5 + 0.01 * 0.949 = 0.50949; b = 0.9 * 0.51 + 0.50949 = 0.96849; p = 0.949 - 0.096849 =
  // 0.852151
  EXPECT_NEAR(p.flat().to_vector()[0], 0.852151, 1e-15);
  EXPECT_NEAR(sgd.state().at("momentum").to_vector()[0], 0.96849, 1e-15);
  EXPECT_EQ(sgd.step_count(), 2);
}

TEST(SGD, NesterovByHand) {
  nn::Params p = make({{"w", 1.0}});
  SGD sgd(p, 0.1, 0.9, 0.0, /*nesterov=*/true);
  p.flat_grad().fill_(0.5);
  sgd.step();
  // b = 0.5; d = 0.5 + 0.9 * 0.5 = 0.95; p = 1 - 0.095 = 0.905
  EXPECT_NEAR(p.flat().to_vector()[0], 0.905, 1e-15);
  p.flat_grad().fill_(-1.0);
  sgd.step();
  // b = 0.45 - 1 = -0.55; d = -1 + 0.9 * -0.55 = -1.495; p = 0.905 + 0.1495 = 1.0545
  EXPECT_NEAR(p.flat().to_vector()[0], 1.0545, 1e-15);
  EXPECT_THROW(SGD(p, 0.1, 0.0, 0.0, true), std::invalid_argument);
}

TEST(SGD, PlainStepThroughBackward) {
  // Gradients from backward() land in flat_grad(); the step updates the Vars' data.
  nn::Params p({{"w", {2}, {nn::Init::constant, 3.0}}}, DType::f64);
  p.initialize(0);
  SGD sgd(p, 0.25);
  Var loss = cz::sum(p["w"] * p["w"]);  // grad 2w = 6
  loss.backward();
  sgd.step();
  EXPECT_NEAR(p["w"].data().at({1}), 3.0 - 0.25 * 6.0, 1e-15);
  sgd.zero_grad();
  EXPECT_EQ(p.flat_grad().to_vector(), (std::vector<double>{0.0, 0.0}));
}

TEST(ParamGroups, PerGroupLearningRateFrozenAndDecay) {
  nn::Params p = make({{"a", 1.0}, {"b", 2.0}, {"c", 3.0}, {"d", 4.0}, {"e", 5.0}});
  std::vector<ParamGroup> groups{
      {{0}},                                 // lr 1, default decay 0.5
      {{1}, 0.1},                            // lr 0.1
      {{2}, 1.0, /*frozen=*/true},           // untouched, even by weight decay
      {{3}, 1.0, false, /*weight_decay=*/0}  // own decay 0
                                             // "e" is in no group: not updated
  };
  SGD sgd(p, /*lr=*/1.0, /*momentum=*/0.0, /*weight_decay=*/0.5, false, groups);
  p.flat_grad().fill_(1.0);
  sgd.step();
  const std::vector<double> v = p.flat().to_vector();
  EXPECT_NEAR(v[0], 1.0 - 1.0 * (1.0 + 0.5 * 1.0), 1e-15);  // -0.5
  EXPECT_NEAR(v[1], 2.0 - 0.1 * (1.0 + 0.5 * 2.0), 1e-15);  // 1.8
  EXPECT_EQ(v[2], 3.0);
  EXPECT_NEAR(v[3], 4.0 - 1.0, 1e-15);
  EXPECT_EQ(v[4], 5.0);
  // Unfreeze and change a group's rate between steps (gradual unfreezing, per-layer rates).
  sgd.group(2).frozen = false;
  sgd.group(1).lr_scale = 0.0;
  sgd.set_lr(0.5);
  sgd.step();
  const std::vector<double> w = p.flat().to_vector();
  EXPECT_NEAR(w[1], 1.8, 1e-15);
  EXPECT_NEAR(w[2], 3.0 - 0.5 * (1.0 + 0.5 * 3.0), 1e-15);
}

TEST(ParamGroups, Errors) {
  nn::Params p = make({{"a", 1.0}, {"b", 2.0}});
  try {
    SGD(p, 0.1, 0, 0, false, {{{0, 1}}, {{1}}});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'b'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SGD(p, 0.1, 0, 0, false, {{{2}}}), std::invalid_argument);
  EXPECT_THROW(SGD(p, 0.1, -0.5), std::invalid_argument);
  SGD sgd(p, 0.1);
  EXPECT_THROW(sgd.set_lr(-1), std::invalid_argument);
  EXPECT_THROW(sgd.group(1), std::out_of_range);
  EXPECT_EQ(sgd.groups().size(), 1u);
  EXPECT_EQ(sgd.groups()[0].params, (std::vector<size_t>{0, 1}));
}

}  // namespace
}  // namespace cz::optim
