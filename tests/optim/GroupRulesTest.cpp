// --freeze, --trainable, --lr-scale, --init-params: which parameters each pattern picks, the
// scales, and the errors.
#include "cezanne/optim/GroupRules.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace cz::optim {
namespace {

const std::vector<std::string> kNames{"block0.conv.weight", "block0.conv.bias", "block1.conv.weight",
                                      "block1.bn.gamma",    "head.weight",      "head.bias"};

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(GroupRules, NoPatternMatchesNothingAndNoRuleScalesByOne) {
  EXPECT_EQ(match_names("--freeze", kNames, ""), std::vector<bool>(6, false));
  EXPECT_EQ(lr_scales(kNames, ""), std::vector<double>(6, 1.0));
}

TEST(GroupRules, PatternsPickParametersAndTheFirstScaleWins) {
  EXPECT_EQ(match_names("--freeze", kNames, "block0.*,head.bias"),
            (std::vector<bool>{true, true, false, false, false, true}));
  // block1.conv.weight matches *.weight first (0.5); block1.bn.gamma gets 2; head.* gets 10;
  // block0.conv.weight too matches *.weight.
  EXPECT_EQ(lr_scales(kNames, "head.*=10,*.weight=0.5,block1.*=2"),
            (std::vector<double>{0.5, 1.0, 0.5, 2.0, 10.0, 10.0}));
}

TEST(GroupRules, BadRulesAreOneLineNamingTheOption) {
  const std::string all =
      "(parameters: block0.conv.weight, block0.conv.bias, block1.conv.weight, block1.bn.gamma, head.weight, head.bias)";
  EXPECT_EQ(error_of([] { match_names("--freeze", kNames, "blok*"); }), "--freeze: 'blok*' matches no parameter " + all);
  EXPECT_EQ(error_of([] { match_names("--trainable", kNames, "head.*,x"); }), "--trainable: 'x' matches no parameter " + all);
  for (const std::string rule : {"head.*", "head.*=x", "head.*=-1", "=2"})
    EXPECT_EQ(error_of([&] { lr_scales(kNames, rule); }),
              "--lr-scale: '" + rule + "': expected PATTERN=SCALE with SCALE a finite number >= 0");
  EXPECT_EQ(error_of([] { lr_scales(kNames, "tail.*=2"); }), "--lr-scale: 'tail.*=2' matches no parameter " + all);
}

}  // namespace
}  // namespace cz::optim
