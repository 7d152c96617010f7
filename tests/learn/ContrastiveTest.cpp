// The contrastive objective's model: Conv4's blocks by name and function (transfer), the
// projection head, views that are pure functions of the step, and its refusals.
#include <gtest/gtest.h>

#include <vector>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/Contrastive.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/Params.hpp"

namespace cz::learn {
namespace {

ContrastiveSpec small() {
  ContrastiveSpec s;
  s.filters = 4;
  s.image = 16;
  s.projection = 5;
  return s;
}

TEST(Contrastive, ParametersAreConv4sBlocksThenTheProjectionHead) {
  const Contrastive c(small(), 3);
  const std::vector<nn::ParamSpec> specs = c.specs();
  ASSERT_EQ(specs.size(), 20u);
  EXPECT_EQ(specs[0].name, "block0.conv.weight");
  EXPECT_EQ(specs[15].name, "block3.bn.beta");
  EXPECT_EQ(specs[16].name, "projection.layer0.weight");
  EXPECT_EQ(specs[16].shape, (Shape{5, 4}));  // F = 4 filters x (16 / 16)^2
  EXPECT_EQ(specs[18].name, "projection.head.weight");
  EXPECT_EQ(specs[18].shape, (Shape{5, 5}));
}

// embed is Conv4's embedding: the blocks loaded into nn::Conv4 (--init-params 'block*') compute
// the same function.
TEST(Contrastive, EmbedIsConv4sEmbedding) {
  const Contrastive c(small(), 3);
  nn::Params theta(c.specs(), DType::f64);
  theta.initialize(5);
  const nn::Conv4 conv(4, 1, 16, 7);
  nn::Params p(conv.specs(), DType::f64);
  p.initialize(6);
  for (size_t i = 0; i < conv.head_begin(); ++i) {
    Tensor data = p[i].data();
    data.copy_(theta[i].data());
  }
  const Tensor images = Tensor::uniform({6, 1, 16, 16}, 0.0, 1.0, 9, 0, DType::f64);
  const std::vector<double> a = c.embed(theta.list(), images).data().to_vector();
  const std::vector<double> b = conv.embed(p.list(), Var(images)).data().to_vector();
  ASSERT_EQ(a.size(), 24u);
  for (size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-14) << k;
}

// Views are keyed by (seed, step, slot x B + position, view): the same rows give the same views,
// another step or seed other ones, and the two views of an example differ.
TEST(Contrastive, ViewsArePureFunctionsOfSeedStepAndExample) {
  const Contrastive c(small(), 3);
  data::TaskBatch batch;
  batch.inputs = Tensor::uniform({2, 3, 1, 16, 16}, 0.0, 1.0, 4);
  batch.class_ids = batch.example_ids = Tensor::zeros({2, 3}, DType::i64);
  batch.slots = {5, 6};
  batch.step = 2;
  const std::vector<double> v = c.views(batch, 1, DType::f32, Device::cpu()).to_vector();
  ASSERT_EQ(v.size(), 2u * 2 * 3 * 256);
  EXPECT_EQ(v, c.views(batch, 1, DType::f32, Device::cpu()).to_vector());
  EXPECT_NE(v, c.views(batch, 2, DType::f32, Device::cpu()).to_vector());
  const std::vector<double> view0(v.begin(), v.begin() + 3 * 256), view1(v.begin() + 3 * 256, v.begin() + 6 * 256);
  EXPECT_NE(view0, view1);
  // Row 1 alone (slot 6) gets the views it gets in the batch of both rows.
  const std::vector<double> alone = c.views(batch.rows(1, 2), 1, DType::f32, Device::cpu()).to_vector();
  EXPECT_EQ(alone, std::vector<double>(v.begin() + 6 * 256, v.end()));
}

TEST(Contrastive, RefusesSizesAndSettingsNamingTheOption) {
  auto message = [](ContrastiveSpec s, int64_t examples = 3) {
    try {
      Contrastive c(s, examples);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  ContrastiveSpec s = small();
  s.projection = 0;
  EXPECT_EQ(message(s), "--projection: must be >= 1, got 0");
  s = small();
  s.temperature = 0;
  EXPECT_EQ(message(s), "--contrast-temperature: must be > 0, got 0");
  s = small();
  s.contrast = Contrast::moco;
  s.global_negatives = true;
  EXPECT_EQ(message(s), "--negatives: global is for triplet and nt_xent (moco's negatives are its queue of every rank's keys)");
  s = small();
  s.momentum = 1;
  EXPECT_EQ(message(s), "--momentum: must be in [0, 1), got 1");
  EXPECT_EQ(message(small(), 0), "--examples-per-task: must be >= 1, got 0");
  s = small();
  s.image = 8;
  EXPECT_EQ(message(s), "Conv4: image 8 is too small for 4 pooling layers (needs >= 16)");
  EXPECT_EQ(parse_contrast("moco"), Contrast::moco);
  EXPECT_THROW(parse_contrast("simclr"), std::invalid_argument);
}

}  // namespace
}  // namespace cz::learn
