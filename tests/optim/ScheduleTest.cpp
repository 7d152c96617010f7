// Learning-rate schedules: endpoints, warm-up, steps.
#include "cezanne/optim/Schedule.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace cz::optim {
namespace {

TEST(CosineSchedule, EndpointsAndMidpoint) {
  CosineSchedule s(1.0, 100, 0.1);
  EXPECT_DOUBLE_EQ(s.lr_at(0), 1.0);
  EXPECT_NEAR(s.lr_at(50), 0.55, 1e-15);
  EXPECT_NEAR(s.lr_at(100), 0.1, 1e-15);
  EXPECT_DOUBLE_EQ(s.lr_at(1000), 0.1);
  EXPECT_NEAR(s.lr_at(25), 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * 0.25)), 1e-15);
  for (int64_t k = 1; k <= 100; ++k) EXPECT_LE(s.lr_at(k), s.lr_at(k - 1));
}

TEST(CosineSchedule, LinearWarmup) {
  CosineSchedule s(0.4, 110, 0.0, /*warmup_steps=*/10);
  EXPECT_NEAR(s.lr_at(0), 0.04, 1e-15);
  EXPECT_NEAR(s.lr_at(4), 0.2, 1e-15);
  EXPECT_NEAR(s.lr_at(9), 0.4, 1e-15);
  EXPECT_NEAR(s.lr_at(10), 0.4, 1e-15);  // cosine starts at base_lr
  EXPECT_NEAR(s.lr_at(60), 0.2, 1e-15);  // half-way through the decay
  EXPECT_NEAR(s.lr_at(110), 0.0, 1e-15);
  EXPECT_THROW(CosineSchedule(0.1, 10, 0.0, 10), std::invalid_argument);
}

TEST(StepSchedule, Decays) {
  StepSchedule s(1.0, 10, 0.5);
  EXPECT_DOUBLE_EQ(s.lr_at(0), 1.0);
  EXPECT_DOUBLE_EQ(s.lr_at(9), 1.0);
  EXPECT_DOUBLE_EQ(s.lr_at(10), 0.5);
  EXPECT_DOUBLE_EQ(s.lr_at(25), 0.25);
  EXPECT_THROW(StepSchedule(1.0, 0), std::invalid_argument);
  const Schedule& base = s;
  EXPECT_DOUBLE_EQ(base.lr_at(30), 0.125);
  EXPECT_DOUBLE_EQ(ConstantSchedule(0.3).lr_at(12345), 0.3);
}

}  // namespace
}  // namespace cz::optim
