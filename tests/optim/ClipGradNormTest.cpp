// Gradient-norm clipping over the flat gradient.
#include "cezanne/optim/ClipGradNorm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace cz::optim {
namespace {

TEST(ClipGradNorm, ScalesAboveMaxNormOnly) {
  nn::Params p({{"a", {1}}, {"b", {1}}}, DType::f32);
  p.flat_grad().copy_(Tensor::from({3.0, 4.0}, {2}));
  EXPECT_NEAR(grad_norm(p), 5.0, 1e-12);
  // Below the threshold: unchanged.
  EXPECT_NEAR(clip_grad_norm(p, 10.0), 5.0, 1e-12);
  EXPECT_EQ(p.flat_grad().to_vector(), (std::vector<double>{3.0, 4.0}));
  // Above: scaled to max_norm (up to PyTorch's 1e-6), pre-clip norm returned.
  EXPECT_NEAR(clip_grad_norm(p, 1.0), 5.0, 1e-12);
  EXPECT_NEAR(p.flat_grad().to_vector()[0], 0.6, 1e-6);
  EXPECT_NEAR(p.flat_grad().to_vector()[1], 0.8, 1e-6);
  EXPECT_NEAR(p["b"].grad().at({0}), 0.8, 1e-6);  // the view sees it
  EXPECT_NEAR(grad_norm(p), 1.0, 1e-6);
}

TEST(ClipGradNorm, DoubleAccumulationAndNonFinite) {
  // 10^6 float gradients of 1e-3: sum of squares 1.0 exactly in double.
  nn::Params p({{"w", {1000000}}}, DType::f32);
  p.flat_grad().fill_(1e-3);
  EXPECT_NEAR(grad_norm(p), 1.0, 1e-6);
  p.flat_grad().data<float>()[17] = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(std::isinf(clip_grad_norm(p, 0.5)));
  EXPECT_EQ(p.flat_grad().data<float>()[0], 1e-3f);  // left unchanged
  EXPECT_THROW(clip_grad_norm(p, -1.0), std::invalid_argument);
}

}  // namespace
}  // namespace cz::optim
