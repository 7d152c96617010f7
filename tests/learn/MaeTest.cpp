// The masked autoencoder: its mask (ratio exact, counter-based, independent of the ranks), its
// loss's derivatives (f64, first and second order), and its embedding (the ViT's tokens).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "autograd/GradCheck.hpp"
#include "learn/UnlabelledFixtures.hpp"
#include "cezanne/learn/Mae.hpp"
#include "cezanne/nn/Params.hpp"

namespace cz::learn {
namespace {

// 8x8 images in 4x4 patches (4 patches), two masked; tokens of 4, a decoder of width 4.
MaeSpec tiny(bool norm_pix = false) {
  MaeSpec s;
  s.encoder = {1, 8, 4, {4, 1, 2, 2}};
  s.decoder = {4, 1, 2, 2};
  s.mask_ratio = 0.5;
  s.norm_pix = norm_pix;
  return s;
}

using cz::testing::initialized;

data::TaskBatch batch(std::vector<int64_t> slots, int64_t b, int64_t step) {
  return cz::testing::unlabelled_rows(std::move(slots), b, 8, step);
}

TEST(Mae, MasksExactlyTheRatioOfPatchesDeterministically) {
  MaeSpec s;  // the defaults: 28x28 in 7x7 patches, ratio 0.75
  const Mae mae(s);
  EXPECT_EQ(mae.masked(), 12);
  const std::vector<int64_t> order = mae.patch_order(5, 3);
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> every(16);
  std::iota(every.begin(), every.end(), 0);
  EXPECT_EQ(sorted, every) << "a permutation of the 16 patches";
  EXPECT_EQ(mae.patch_order(5, 3), order) << "a pure function of (key, example)";
  std::set<std::vector<int64_t>> distinct;
  for (uint64_t e = 0; e < 20; ++e) distinct.insert(mae.patch_order(5, e));
  EXPECT_GT(distinct.size(), 15u) << "examples get their own masks";
  s.mask_ratio = 0.3;
  EXPECT_EQ(Mae(s).masked(), 5);  // round(4.8)
}

TEST(Mae, RefusesARatioThatLeavesNoPatchOfAKind) {
  for (const auto& [ratio, message] : std::vector<std::pair<double, std::string>>{
           {0.99, "--mask-ratio: 0.99 masks 16 of 16 patches; at least one must be masked and one visible"},
           {0.02, "--mask-ratio: 0.02 masks 0 of 16 patches; at least one must be masked and one visible"},
           {1.0, "--mask-ratio: 1 masks 16 of 16 patches; at least one must be masked and one visible"}}) {
    MaeSpec s;
    s.mask_ratio = ratio;
    try {
      Mae mae(s);
      ADD_FAILURE() << "ratio " << ratio << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), message);
    }
  }
}

// Rows are keyed by their global slot: one batch of slots {0, 1} has the losses of the two
// batches a 2-rank run would make.
TEST(Mae, LossesDoNotDependOnHowRowsAreSplitAcrossRanks) {
  const Mae mae(tiny());
  const nn::ParamList theta = initialized(mae.specs(), 1);
  const std::vector<double> both = mae.losses(theta, batch({0, 1}, 3, 7), 11).data().to_vector();
  EXPECT_DOUBLE_EQ(both[0], mae.losses(theta, batch({0}, 3, 7), 11).item());
  EXPECT_DOUBLE_EQ(both[1], mae.losses(theta, batch({1}, 3, 7), 11).item());
  EXPECT_NE(both[0], mae.losses(theta, batch({0}, 3, 8), 11).item()) << "another step, another mask";
}

// A masked patch's pixels reach the loss only as its target: shifting them by +c and -c moves
// the loss by exactly the MSE's curvature, 2 c^2 / (masked patches) in all, whatever the
// prediction. And the loss depends on the set of masked patches, not on their order.
TEST(Mae, LossIsTheMeanSquaredErrorOfTheMaskedPatches) {
  const Mae mae(tiny());
  const nn::ParamList theta = initialized(mae.specs(), 2);
  const Tensor images = Tensor::uniform({1, 1, 8, 8}, 0, 1, 9, 0, DType::f64);
  const std::vector<int64_t> order{2, 0, 3, 1};  // patches 3 and 1 (top right) masked
  auto loss = [&](double c) {
    Tensor shift = Tensor::zeros({1, 1, 8, 8}, DType::f64);
    shift.slice(2, 0, 4).slice(3, 4, 8).copy_(Tensor::full({1, 1, 4, 4}, c, DType::f64));
    return mae.masked_losses(theta, Var(binary(BinaryOp::add, images, shift)), {order}).item();
  };
  EXPECT_NEAR(loss(0.5) + loss(-0.5) - 2 * loss(0.0), 2 * 0.25 / 2, 1e-12);
  EXPECT_NEAR(mae.masked_losses(theta, Var(images), {{0, 2, 1, 3}}).item(), loss(0.0), 1e-12);
}

TEST(Mae, LossDerivativesMatchCentralDifferences) {
  for (const bool norm_pix : {false, true}) {
    const Mae mae(tiny(norm_pix));
    const std::vector<nn::ParamSpec> specs = mae.specs();
    std::vector<Tensor> inputs;
    nn::Params params(specs, DType::f64);
    params.initialize(3);
    for (const Var& v : params.list()) inputs.push_back(v.data().clone());
    const Var images(Tensor::uniform({2, 1, 8, 8}, 0, 1, 4, 0, DType::f64));
    const testing::Fn f = [&](const std::vector<Var>& theta) {
      return mae.masked_losses(theta, images, {{1, 3, 0, 2}, {2, 1, 3, 0}});
    };
    const std::string what = norm_pix ? "mae norm-pix" : "mae";
    testing::gradcheck(f, inputs, what);
    testing::gradgradcheck(f, inputs, what);
  }
}

TEST(Mae, EmbeddingIsTheVitBackbonesTokensOnAllPatches) {
  const Mae mae(tiny());
  const nn::ParamList theta = initialized(mae.specs(), 5);
  const nn::Vit vit(tiny().encoder, 3);
  // The MAE's encoder parameters, then any head.
  nn::ParamList p = initialized(vit.specs(), 6);
  std::copy(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(vit.head_begin()), p.begin());
  const Tensor images = Tensor::uniform({3, 1, 8, 8}, 0, 1, 8, 0, DType::f64);
  // 4 patches of 4 values each, in patch order; their mean is the backbone's embedding.
  const Tensor tokens = mae.embed(theta, images).data();
  ASSERT_EQ(tokens.shape(), (Shape{3, 16}));
  const std::vector<double> a = mean(Var(tokens.reshape({3, 4, 4})), {1}).data().to_vector();
  const std::vector<double> b = vit.embed(p, Var(images)).data().to_vector();
  ASSERT_EQ(a.size(), 12u);
  for (size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-15);
  EXPECT_EQ(mae.specs()[0].name, vit.specs()[0].name);
  EXPECT_EQ(mae.specs()[vit.head_begin()].name, "decoder.embed.weight");
}

}  // namespace
}  // namespace cz::learn
