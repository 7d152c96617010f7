// Task weightings of multi-task learning: how the per-task losses L_i become the loss to differentiate.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cezanne/autograd/Var.hpp"

namespace cz::learn {

/// The objective min_theta sum_i w_i L_i(theta) with w_i fixed to 1 (uniform) or read from a file (manual),
/// re-weighted towards the worst task (worst_task), learned from each task's noise (uncertainty), or the plain
/// sum with conflicting task gradients projected apart (pcgrad, see GradientSurgery.hpp).
enum class Weighting : uint8_t { uniform, manual, worst_task, uncertainty, pcgrad };

/// "uniform", "manual", "worst_task", "uncertainty", "pcgrad". Throws std::invalid_argument
/// "--weighting: expected uniform, manual, worst_task, uncertainty or pcgrad, got 'x'".
Weighting parse_weighting(const std::string& text);
const char* to_string(Weighting w);

/// A manual weights file: one "TASK WEIGHT" per line (WEIGHT, the last field, a finite number >= 0; TASK
/// the rest, words joined by single spaces, so "Anatolian Hieroglyphs 2" works), '#' starts a comment, blank lines ignored. Returns one weight per name of `tasks` (in that
/// order); tasks the file does not name get 1. Throws std::invalid_argument, one line naming the file and line:
/// "--task-weights w.txt:3: unknown task 'Foo'", "...:4: weight 'abc' of task 'Latin' is not a finite number >= 0",
/// "...:5: task 'Latin' listed twice", "...:2: expected 'TASK WEIGHT', got 'x'",
/// "--task-weights w.txt: cannot read: <strerror>".
std::vector<double> read_task_weights(const std::filesystem::path& file, const std::vector<std::string>& tasks);

/// Worst-task re-weighting as the notes describe it (iterative re-weighting towards the task doing worst), as
/// exponentiated-gradient weights over running per-task loss estimates (online group DRO, Sagawa et al. 2020).
/// The state is plain doubles so the trainer can checkpoint it bit for bit and keep it identical on every rank.
struct WorstTaskState {
  std::vector<double> weights;    ///< q, sums to 1; starts uniform 1/num_tasks
  std::vector<double> estimates;  ///< running loss estimate per task
  std::vector<uint8_t> seen;      ///< 1 once a task has an estimate
  /// Throws std::invalid_argument for num_tasks < 0.
  explicit WorstTaskState(int64_t num_tasks = 0);
};

/// One after-step update from the step's observed rows: tasks[r] and losses[r] (every rank passes the same,
/// gathered, lists). For every task observed this step, estimate_t <- estimate_t + decay * (mean observed loss
/// of t - estimate_t) (the first observation sets it); then q_t <- q_t * exp(eta * estimate_t) for every task
/// with an estimate, and q is renormalized to sum 1. The exponents are shifted by max(0, max estimate) before
/// exp, which leaves the renormalized q unchanged (up to rounding) and keeps large losses from overflowing.
/// eta > 0, decay in (0, 1]. Throws std::invalid_argument, starting "update_worst_task: ", on a task out of
/// range, sizes that differ (also within the state), a non-finite loss, or eta / decay out of range.
void update_worst_task(WorstTaskState& state, const std::vector<int64_t>& tasks, const std::vector<double>& losses,
                       double eta, double decay);

/// Uncertainty weighting (Kendall et al. 2018, classification form): with learned log-variances s [num_tasks]
/// and per-row losses L [T] of rows with tasks `tasks` (i64 [T]), returns the per-row objective
/// exp(-s_task) * L + s_task / 2, a Var [T] differentiable in both L and s (to any order).
/// Throws std::invalid_argument, starting "uncertainty_weighted: ", on shapes or a task out of range.
Var uncertainty_weighted(const Var& losses, const Var& log_variances, const Tensor& tasks);

}  // namespace cz::learn
