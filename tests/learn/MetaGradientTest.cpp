// backward_meta_loss: a few tasks per pass give the one-pass gradient of the sum of the tasks'
// meta-losses, for learners with per-task batch norm and with the information penalty.
#include <gtest/gtest.h>

#include <memory>

#include "LearnFixtures.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/MetaGradient.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {
namespace {

TEST(MetaGradient, PassesOfFewTasksGiveTheOnePassGradientOfTheSum) {
  const data::EpisodeBatch batch = testing::image_batch(5, 31, 3);
  for (const char* algorithm : {"maml", "protonet", "set_encoder"}) {
    LearnerConfig c;
    c.algorithm = algorithm;
    c.model = std::make_shared<nn::Conv4>(4, 1, 16, 3);
    c.ways = 3;
    c.meta_regularization = MetaRegularization::information;
    c.meta_reg_scale = 0.01;
    const auto learner = make_learner(c);
    nn::Params params(learner->specs(), DType::f64);
    params.initialize(6);
    const Metrics whole = backward_meta_loss(*learner, params.list(), batch, 0);
    const Tensor reference = params.flat_grad().clone();
    // The sum of the tasks' meta-losses: 5 times the batch mean.
    params.zero_grad();
    (learner->meta_loss(params.list(), batch) * 5.0).backward();
    EXPECT_LT(max_abs_diff(params.flat_grad(), reference), 1e-12) << algorithm;
    for (int64_t per_pass : {1, 2, 5, 9}) {
      params.zero_grad();
      const Metrics m = backward_meta_loss(*learner, params.list(), batch, per_pass);
      EXPECT_LT(max_abs_diff(params.flat_grad(), reference), 1e-10)
          << algorithm << ", " << per_pass << " per pass";
      EXPECT_NEAR(m.loss, whole.loss, 1e-12) << algorithm;
      EXPECT_NEAR(m.accuracy, whole.accuracy, 1e-12) << algorithm;
    }
  }
  LearnerConfig c;
  c.model = std::make_shared<nn::Conv4>(4, 1, 16, 3);
  c.ways = 3;
  const auto learner = make_learner(c);
  nn::Params params(learner->specs(), DType::f64);
  testing::expect_invalid_argument(
      [&] { backward_meta_loss(*learner, params.list(), batch, -1); },
      "tasks per pass must be >= 0 (0: all at once), got -1");
}

}  // namespace
}  // namespace cz::learn
