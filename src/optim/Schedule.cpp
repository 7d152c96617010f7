// Learning-rate schedules.
#include "cezanne/optim/Schedule.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace cz::optim {

StepSchedule::StepSchedule(double base_lr, int64_t step_size, double gamma)
    : base_lr_(base_lr), step_size_(step_size), gamma_(gamma) {
  if (step_size < 1)
    throw std::invalid_argument("StepSchedule: step_size must be >= 1, got " +
                                std::to_string(step_size));
}

double StepSchedule::lr_at(int64_t step) const {
  if (step < 0) step = 0;
  return base_lr_ * std::pow(gamma_, static_cast<double>(step / step_size_));
}

CosineSchedule::CosineSchedule(double base_lr, int64_t total_steps, double min_lr,
                               int64_t warmup_steps)
    : base_lr_(base_lr), total_steps_(total_steps), min_lr_(min_lr), warmup_steps_(warmup_steps) {
  if (warmup_steps < 0 || warmup_steps >= total_steps)
    throw std::invalid_argument(
        "CosineSchedule: need 0 <= warmup_steps < total_steps, got warmup " +
        std::to_string(warmup_steps) + ", total " + std::to_string(total_steps));
}

double CosineSchedule::lr_at(int64_t step) const {
  if (step < 0) step = 0;
  if (step < warmup_steps_)
    return base_lr_ * static_cast<double>(step + 1) / static_cast<double>(warmup_steps_);
  if (step >= total_steps_) return min_lr_;
  const double progress =
      static_cast<double>(step - warmup_steps_) / static_cast<double>(total_steps_ - warmup_steps_);
  return min_lr_ + (base_lr_ - min_lr_) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

}  // namespace cz::optim
