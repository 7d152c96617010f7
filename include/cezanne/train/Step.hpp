// Step: what one kind of learning does in a training step; the trainer's loop owns the rest.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cezanne/dist/Communicator.hpp"
#include "cezanne/learn/Evaluation.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/train/Trainer.hpp"

namespace cz::train {

/// This rank's share of a step's numbers: sums over its rows (tasks), which the trainer
/// allreduces and divides by the global number of rows.
struct StepSums {
  double loss = 0.0;
  double accuracy = 0.0;
};

/// The part of a training step that depends on the kind of learning (design §1): sample the
/// rank's rows, compute their per-task losses, weight them, and leave in params' gradients the
/// gradient of the global loss (the same on every rank). Every rank enters every collective of
/// every call, whatever its share of the rows. The trainer then checks the gradient, steps the
/// optimizer and calls after_step.
class Step {
 public:
  virtual ~Step() = default;
  /// Gradient of step `step` (0-based) into params.flat_grad() (zeroed by the trainer).
  virtual StepSums gradient(int64_t step) = 0;
  /// After the optimizer: updates of the persistent state (every rank the same).
  virtual void after_step(int64_t /*step*/) {}
  /// The validation protocol on every rank (collective); mean and 95% interval.
  virtual learn::EvalResult validate() = 0;
  /// A validation result in words: "accuracy 97.13% ± 0.41% (200 episodes)".
  virtual std::string describe(const learn::EvalResult& result) const = 0;
  /// Whether the rows have an accuracy (classifiers; not the sinusoid regression).
  virtual bool has_accuracy() const { return true; }
  /// The persistent state for a checkpoint, and its restoration.
  virtual std::vector<std::pair<std::string, Tensor>> state() const { return {}; }
  virtual void load_state(const std::vector<std::pair<std::string, Tensor>>& /*state*/) {}
};

/// The step of a plan: multi-task learning (labelled task mini-batches through the plan's
/// MultiTaskObjective) when it has an objective, else meta-learning (episodes or sinusoid tasks
/// through its EpisodicLearner, prefetched from step `start`). `train` and `bench step` run it.
std::unique_ptr<Step> make_step(const RunPlan& plan, nn::Params& params, dist::Communicator& comm,
                                int64_t start);

namespace detail {
std::unique_ptr<Step> make_episodic_step(const RunPlan& plan, nn::Params& params,
                                         dist::Communicator& comm, int64_t start);
std::unique_ptr<Step> make_multitask_step(const RunPlan& plan, nn::Params& params,
                                          dist::Communicator& comm);
}  // namespace detail

}  // namespace cz::train
