// The vision transformer: patches, multi-head self-attention, the backbone's shapes, its task
// axis, and its derivatives (f64 central differences, first and second order).
#include <gtest/gtest.h>

#include <numeric>

#include "autograd/GradCheck.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/nn/Vit.hpp"

namespace cz::nn {
namespace {

// A ViT small enough for central differences: 8x8 images, 4x4 patches (4 tokens of width 4).
VitSpec tiny(int64_t depth = 1) { return {1, 8, 4, {4, depth, 2, 2}}; }

ParamList initialized(const Model& m, uint64_t seed) {
  Params params(m.specs(), DType::f64);
  params.initialize(seed);
  ParamList p;
  for (const Var& v : params.list()) p.emplace_back(v.data().clone(), true);
  return p;
}

TEST(Vit, PatchifyCutsRowMajorPatchesOfChannelRowColumn) {
  std::vector<double> pixels(2 * 16);
  std::iota(pixels.begin(), pixels.end(), 0.0);
  const Var images(Tensor::from(pixels, {1, 2, 4, 4}, DType::f64));  // 2 channels of 4x4
  const Var patches = patchify(images, 2);
  ASSERT_EQ(patches.shape(), (Shape{1, 4, 8}));
  // Patch 1 (top right): channel 0 pixels 2, 3, 6, 7, then channel 1's (16 more).
  const std::vector<double> all = patches.data().to_vector();
  EXPECT_EQ(std::vector<double>(all.begin() + 8, all.begin() + 16),
            (std::vector<double>{2, 3, 6, 7, 18, 19, 22, 23}));
  // Patch 2 (bottom left).
  EXPECT_EQ(std::vector<double>(all.begin() + 16, all.begin() + 20), (std::vector<double>{8, 9, 12, 13}));
}

TEST(Vit, ShapesAndParameterNames) {
  const Vit vit({1, 28, 7, {64, 4, 4, 4}}, 5);
  EXPECT_EQ(vit.patches(), 16);
  EXPECT_EQ(vit.head_begin(), 5u + 12u * 4u);
  const std::vector<ParamSpec> specs = vit.specs();
  ASSERT_EQ(specs.size(), vit.head_begin() + 2);
  EXPECT_EQ(specs[0].name, "patch.weight");
  EXPECT_EQ(specs[0].shape, (Shape{64, 49}));
  EXPECT_EQ(specs[2].name, "pos");
  EXPECT_EQ(specs[2].shape, (Shape{16, 64}));
  EXPECT_EQ(specs[5].name, "block0.attn.qkv.weight");
  EXPECT_EQ(specs[5].shape, (Shape{192, 64}));
  EXPECT_EQ(specs[vit.head_begin() - 2].name, "norm.gamma");
  EXPECT_EQ(specs[vit.head_begin()].name, "head.weight");
  EXPECT_EQ(specs[vit.head_begin()].shape, (Shape{5, 64}));

  const Vit small(tiny(), 3);
  const ParamList p = initialized(small, 1);
  const Var x(Tensor::uniform({5, 1, 8, 8}, 0, 1, 2, 0, DType::f64));
  EXPECT_EQ(small.forward(p, x).shape(), (Shape{5, 3}));
  EXPECT_EQ(small.embed(p, x).shape(), (Shape{5, 4}));
  EXPECT_EQ(small.feature_size(), 4);
}

TEST(Vit, RefusesBadSizesInOneLine) {
  auto message = [](const VitSpec& s) {
    try {
      Vit v(s, 5);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({1, 28, 5, {64, 4, 4, 4}}), "--patch: 5 does not divide the image side 28");
  EXPECT_EQ(message({1, 28, 7, {64, 4, 3, 4}}), "--heads: 3 heads do not divide --dim 64");
  EXPECT_EQ(message({1, 28, 7, {64, 0, 4, 4}}), "--depth: must be >= 1, got 0");
}

// Per-task parameters [T, ...] on [T, N, C, H, W]: row t is forward with task t's parameters.
TEST(Vit, TaskAxisEqualsEachTaskAlone) {
  const Vit vit(tiny(2), 3);
  const ParamList a = initialized(vit, 1), b = initialized(vit, 2);
  ParamList both;
  for (size_t i = 0; i < a.size(); ++i) both.push_back(stack({a[i], b[i]}, 0));
  const Tensor x = Tensor::uniform({2, 3, 1, 8, 8}, 0, 1, 5, 0, DType::f64);
  const Var tasks = vit.forward_tasks(both, Var(x));
  ASSERT_EQ(tasks.shape(), (Shape{2, 3, 3}));
  for (int64_t t = 0; t < 2; ++t) {
    const std::vector<double> alone = vit.forward(t == 0 ? a : b, Var(x.select(0, t))).data().to_vector();
    const std::vector<double> row = tasks.data().select(0, t).to_vector();
    for (size_t k = 0; k < alone.size(); ++k) EXPECT_NEAR(row[k], alone[k], 1e-12) << "task " << t;
  }
  EXPECT_EQ(vit.embed_tasks(both, Var(x)).shape(), (Shape{2, 3, 4}));
}

// Self-attention without positions is permutation-equivariant: permuting the tokens permutes
// the output the same way.
TEST(Vit, SelfAttentionIsPermutationEquivariant) {
  const Tensor x = Tensor::uniform({2, 5, 6}, -1, 1, 1, 0, DType::f64);
  const Var wqkv(Tensor::uniform({18, 6}, -0.5, 0.5, 2, 0, DType::f64)), bqkv(Tensor::uniform({18}, -0.1, 0.1, 3, 0, DType::f64));
  const Var wo(Tensor::uniform({6, 6}, -0.5, 0.5, 4, 0, DType::f64)), bo(Tensor::uniform({6}, -0.1, 0.1, 5, 0, DType::f64));
  const Tensor order = Tensor::from_i64({3, 0, 4, 1, 2}, {5});
  const Var y = multi_head_self_attention(Var(x), wqkv, bqkv, wo, bo, 3);
  const Var y_permuted = multi_head_self_attention(Var(index_select(x, 1, order)), wqkv, bqkv, wo, bo, 3);
  const std::vector<double> expected = index_select(y.data(), 1, order).to_vector(), got = y_permuted.data().to_vector();
  for (size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], expected[k], 1e-12);
}

TEST(Vit, SelfAttentionDerivativesMatchCentralDifferences) {
  const testing::Fn attention = [](const std::vector<Var>& v) {
    return multi_head_self_attention(v[0], v[1], v[2], v[3], v[4], 2);
  };
  const std::vector<Tensor> inputs{testing::random_f64({2, 3, 4}, 1), testing::random_f64({12, 4}, 2),
                                   testing::random_f64({12}, 3), testing::random_f64({4, 4}, 4),
                                   testing::random_f64({4}, 5)};
  testing::gradcheck(attention, inputs, "multi_head_self_attention");
  testing::gradgradcheck(attention, inputs, "multi_head_self_attention");
}

// The whole backbone: its output w.r.t. every parameter and the images, both orders.
TEST(Vit, BackboneDerivativesMatchCentralDifferences) {
  const Vit vit(tiny(), 2);
  const std::vector<ParamSpec> specs = vit.specs();
  std::vector<Tensor> inputs{Tensor::uniform({2, 1, 8, 8}, 0, 1, 7, 0, DType::f64)};
  Params params(specs, DType::f64);
  params.initialize(3);
  for (const Var& v : params.list()) inputs.push_back(v.data().clone());
  const testing::Fn f = [&](const std::vector<Var>& v) {
    return vit.forward(ParamList(v.begin() + 1, v.end()), v[0]);
  };
  testing::gradcheck(f, inputs, "vit");
  testing::gradgradcheck(f, inputs, "vit");
}

}  // namespace
}  // namespace cz::nn
