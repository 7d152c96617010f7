// --freeze and --lr-scale: which parameters each pattern picks, the groups, and the errors.
#include "cezanne/optim/GroupRules.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace cz::optim {
namespace {

const std::vector<std::string> kNames{"block0.conv.weight", "block0.conv.bias", "block1.conv.weight",
                                      "block1.bn.gamma",    "head.weight",      "head.bias"};

std::string error_of(const std::string& freeze, const std::string& lr_scale) {
  try {
    groups_from_rules(kNames, freeze, lr_scale);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(GroupRules, NoRulesIsOneGroupOfEverything) {
  const std::vector<ParamGroup> g = groups_from_rules(kNames, "", "");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].params, (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_FALSE(g[0].frozen);
  EXPECT_EQ(g[0].lr_scale, 1.0);
}

TEST(GroupRules, PatternsPickParametersAndTheFirstScaleWins) {
  const std::vector<ParamGroup> g = groups_from_rules(kNames, "block0.*", "head.*=10,*.weight=0.5,block1.*=2");
  // block0.* frozen; block1.conv.weight matches *.weight first (0.5); block1.bn.gamma gets 2;
  // head.* gets 10.
  ASSERT_EQ(g.size(), 4u);
  EXPECT_TRUE(g[0].frozen);
  EXPECT_EQ(g[0].params, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(g[1].lr_scale, 0.5);
  EXPECT_EQ(g[1].params, (std::vector<size_t>{2}));
  EXPECT_EQ(g[2].lr_scale, 2.0);
  EXPECT_EQ(g[2].params, (std::vector<size_t>{3}));
  EXPECT_EQ(g[3].lr_scale, 10.0);
  EXPECT_EQ(g[3].params, (std::vector<size_t>{4, 5}));
  EXPECT_EQ(frozen_parameters(g, kNames.size()), (std::vector<bool>{true, true, false, false, false, false}));
}

TEST(GroupRules, FreezingWinsOverAScale) {
  const std::vector<ParamGroup> g = groups_from_rules(kNames, "head.bias", "head.*=3");
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[1].params, (std::vector<size_t>{4}));
  EXPECT_EQ(g[1].lr_scale, 3.0);
  EXPECT_TRUE(g[2].frozen);
  EXPECT_EQ(g[2].params, (std::vector<size_t>{5}));
}

TEST(GroupRules, BadRulesAreOneLineNamingTheOption) {
  EXPECT_EQ(error_of("blok*", ""),
            "--freeze: 'blok*' matches no parameter (parameters: block0.conv.weight, block0.conv.bias, "
            "block1.conv.weight, block1.bn.gamma, head.weight, head.bias)");
  EXPECT_EQ(error_of("", "head.*"), "--lr-scale: 'head.*': expected PATTERN=SCALE with SCALE a finite number >= 0");
  EXPECT_EQ(error_of("", "head.*=x"), "--lr-scale: 'head.*=x': expected PATTERN=SCALE with SCALE a finite number >= 0");
  EXPECT_EQ(error_of("", "head.*=-1"), "--lr-scale: 'head.*=-1': expected PATTERN=SCALE with SCALE a finite number >= 0");
  EXPECT_EQ(error_of("", "=2"), "--lr-scale: '=2': expected PATTERN=SCALE with SCALE a finite number >= 0");
  EXPECT_EQ(error_of("", "tail.*=2"),
            "--lr-scale: 'tail.*=2' matches no parameter (parameters: block0.conv.weight, block0.conv.bias, "
            "block1.conv.weight, block1.bn.gamma, head.weight, head.bias)");
}

}  // namespace
}  // namespace cz::optim
