// Partial loading: parameters by pattern and rename, and one line for every bad request.
#include "cezanne/train/InitFrom.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace cz::train {
namespace {

// A checkpoint of a 20-way Conv4-like model: two blocks and a head.
Checkpoint source() {
  Checkpoint c;
  c.params = {{"block0.conv.weight", Tensor::full({4, 1, 3, 3}, 1.0)},
              {"block1.conv.weight", Tensor::full({4, 4, 3, 3}, 2.0)},
              {"head.weight", Tensor::full({20, 4}, 3.0)},
              {"head.bias", Tensor::full({20}, 4.0)}};
  return c;
}

// The target: the same blocks, a head of another width, and a parameter of its own.
const std::vector<nn::ParamSpec> kTarget{{"block0.conv.weight", {4, 1, 3, 3}, {}},
                                         {"block1.conv.weight", {4, 4, 3, 3}, {}},
                                         {"head.weight", {1, 7, 4}, {}},
                                         {"head.bias", {1, 7}, {}},
                                         {"old.weight", {20, 4}, {}}};

std::string error_of(const std::string& patterns, const std::string& renames) {
  try {
    init_values(source(), "src.h5", kTarget, patterns, renames);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(InitFrom, PatternsChooseTheCheckpointsParametersByName) {
  const std::vector<InitValue> v = init_values(source(), "src.h5", kTarget, "block*", "");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].param, 0u);
  EXPECT_EQ(v[0].source, "block0.conv.weight");
  EXPECT_EQ(v[0].value.to_vector()[0], 1.0);
  EXPECT_EQ(v[1].param, 1u);
  EXPECT_EQ(v[1].value.to_vector()[0], 2.0);
  EXPECT_EQ(init_values(source(), "src.h5", kTarget, "block1.*", "").size(), 1u);
}

TEST(InitFrom, ARenameLoadsIntoAnotherName) {
  const std::vector<InitValue> v =
      init_values(source(), "src.h5", kTarget, "block0.*,head.weight", "head.=old.,block=block");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].param, 4u);
  EXPECT_EQ(v[1].source, "head.weight");
  EXPECT_EQ(v[1].value.to_vector()[0], 3.0);
}

TEST(InitFrom, BadRequestsAreOneLineNamingTheParameter) {
  EXPECT_EQ(error_of("blok*", ""),
            "--init-params: 'blok*' matches no parameter (parameters: block0.conv.weight, "
            "block1.conv.weight, head.weight, head.bias)");
  EXPECT_EQ(error_of("*", ""),
            "--init-from src.h5: parameter 'head.weight' is [20, 4] in the checkpoint, [1, 7, 4] here");
  EXPECT_EQ(error_of("head.bias", "head.=tail."),
            "--init-from src.h5: parameter 'tail.bias' (renamed from 'head.bias') is not a parameter of this "
            "model; choose others with --init-params or rename with --init-rename");
  EXPECT_EQ(error_of("block*", "block"), "--init-rename: 'block': expected FROM=TO");
}

}  // namespace
}  // namespace cz::train
