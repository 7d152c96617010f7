// Learning-rate schedules: pure functions of the step, so a resumed run gets the same rates.
#pragma once

#include <cstdint>

namespace cz::optim {

/// lr_at(step) for step = 0, 1, ... (the step about to be taken). Use with
/// optimizer.set_lr(schedule.lr_at(optimizer.step_count())) before each step().
class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual double lr_at(int64_t step) const = 0;
};

/// The same rate every step.
class ConstantSchedule final : public Schedule {
 public:
  explicit ConstantSchedule(double lr) : lr_(lr) {}
  double lr_at(int64_t) const override { return lr_; }

 private:
  double lr_;
};

/// base_lr * gamma^floor(step / step_size).
class StepSchedule final : public Schedule {
 public:
  /// Throws std::invalid_argument when step_size < 1.
  StepSchedule(double base_lr, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t step) const override;

 private:
  double base_lr_;
  int64_t step_size_;
  double gamma_;
};

/// Linear warm-up, then cosine decay from base_lr to min_lr:
///   step < warmup:            base_lr * (step + 1) / warmup
///   warmup <= step <= total:  min_lr + (base_lr - min_lr) * (1 + cos(pi * (step - warmup) / (total
///   - warmup))) / 2 step > total:             min_lr
/// So lr_at(warmup) = base_lr (lr_at(0) = base_lr without warm-up) and lr_at(total) = min_lr.
class CosineSchedule final : public Schedule {
 public:
  /// Throws std::invalid_argument unless 0 <= warmup_steps < total_steps.
  CosineSchedule(double base_lr, int64_t total_steps, double min_lr = 0.0,
                 int64_t warmup_steps = 0);
  double lr_at(int64_t step) const override;

 private:
  double base_lr_;
  int64_t total_steps_;
  double min_lr_;
  int64_t warmup_steps_;
};

}  // namespace cz::optim
