// The convolutional autoencoder: its loss's derivatives (f64, first and second order), its
// denoising noise (counter-based, independent of the ranks, the target kept clean), its code.
#include <gtest/gtest.h>

#include "autograd/GradCheck.hpp"
#include "learn/UnlabelledFixtures.hpp"
#include "cezanne/learn/Autoencoder.hpp"
#include "cezanne/nn/Params.hpp"

namespace cz::learn {
namespace {

AutoencoderSpec tiny(double noise = 0.0) { return {{1, 16, 2}, 3, noise}; }

using cz::testing::initialized;

data::TaskBatch batch(std::vector<int64_t> slots, int64_t b, int64_t step) {
  return cz::testing::unlabelled_rows(std::move(slots), b, 16, step);
}

TEST(Autoencoder, ParametersAndCode) {
  const Autoencoder ae(tiny());
  const std::vector<nn::ParamSpec> specs = ae.specs();
  EXPECT_EQ(specs[0].name, "block0.conv.weight");  // loads into Conv4 with --init-params 'block*'
  EXPECT_EQ(specs[8].name, "encoder.head.weight");
  EXPECT_EQ(specs[8].shape, (Shape{3, 2}));  // 2 filters x 1 x 1 after four pools -> the bottleneck
  EXPECT_EQ(specs[10].name, "decoder.fc.weight");
  const nn::ParamList theta = initialized(specs, 1);
  EXPECT_EQ(ae.embed(theta, Tensor::uniform({5, 1, 16, 16}, 0, 1, 2, 0, DType::f64)).shape(), (Shape{5, 3}));
  EXPECT_EQ(ae.description(), "autoencoder conv4 filters=2 channels=1 image=16 bottleneck=3 noise=0");
}

TEST(Autoencoder, RefusesBadSizesInOneLine) {
  auto message = [](const AutoencoderSpec& s) {
    try {
      Autoencoder ae(s);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({{1, 16, 2}, 0, 0.0}), "--bottleneck: must be >= 1, got 0");
  EXPECT_EQ(message({{1, 18, 2}, 3, 0.0}),
            "the convolutional autoencoder needs square images of a side >= 16 and a multiple of 4, got 18");
}

// The denoising noise is keyed by global slot: one batch of slots {0, 1} has the losses of the
// two batches a 2-rank run would make; and it changes the loss (the target stays clean).
TEST(Autoencoder, DenoisingNoiseDoesNotDependOnTheRanks) {
  const Autoencoder ae(tiny(0.3)), plain(tiny());
  const nn::ParamList theta = initialized(ae.specs(), 1);
  const std::vector<double> both = ae.losses(theta, batch({0, 1}, 3, 7), 11).data().to_vector();
  EXPECT_DOUBLE_EQ(both[0], ae.losses(theta, batch({0}, 3, 7), 11).item());
  EXPECT_DOUBLE_EQ(both[1], ae.losses(theta, batch({1}, 3, 7), 11).item());
  EXPECT_NE(both[0], plain.losses(theta, batch({0}, 3, 7), 11).item());
  EXPECT_NE(both[0], ae.losses(theta, batch({0}, 3, 8), 11).item()) << "another step, other noise";
  // Validation: a pure function of (seed, example).
  const Tensor x = Tensor::uniform({1, 1, 1, 16, 16}, 0, 1, 3, 0, DType::f64);
  EXPECT_EQ(ae.evaluate(theta, x, 4, 0), ae.evaluate(theta, x, 4, 0));
}

TEST(Autoencoder, LossDerivativesMatchCentralDifferences) {
  const Autoencoder ae(tiny());
  // Random parameters, biases included: the zero biases of the initialization put relu and
  // max-pool inputs exactly on their kinks, where central differences do not apply.
  std::vector<Tensor> inputs;
  uint64_t seed = 3;
  for (const nn::ParamSpec& p : ae.specs()) inputs.push_back(testing::random_f64(p.shape, seed++, -0.5, 0.5));
  const Var noisy(Tensor::uniform({2, 256}, 0, 1, 4, 0, DType::f64)), clean(Tensor::uniform({2, 256}, 0, 1, 5, 0, DType::f64));
  const testing::Fn f = [&](const std::vector<Var>& theta) { return ae.reconstruction_losses(theta, noisy, clean); };
  testing::gradcheck(f, inputs, "autoencoder");
  testing::gradgradcheck(f, inputs, "autoencoder");
}

}  // namespace
}  // namespace cz::learn
