// Step: what one kind of learning does in a training step; the trainer's loop owns the rest.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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

/// What a rank's gradient allreduce did so far (StepReducer; bench step reports it).
struct ReductionStats {
  /// Seconds spent in the reducer that backward did not hide: launching, progressing, waiting
  /// (for the collective, and for slower ranks), dividing.
  double exposed_seconds = 0.0;
  int64_t buckets = 0;             ///< bucket allreduces launched
  int64_t overlapped_buckets = 0;  ///< of those, launched during backward (--overlap on)
};

/// `fetch()` (a step's wait for its batch), its seconds added to `seconds`: the sampling part of
/// a step's time (Step::sampling_seconds, `cezanne bench scaling`).
template <class Fetch>
auto timed_fetch(double& seconds, Fetch&& fetch) {
  const auto start = std::chrono::steady_clock::now();
  auto batch = fetch();
  seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return batch;
}

/// The part of a step that depends on the kind of learning (design §1), shared by `train`, `eval`
/// and `bench step`: sample the rank's rows from the plan's task source, compute their per-task
/// losses, weight them, and leave in params' gradients the gradient of the global loss (the same
/// on every rank); or evaluate on the plan's evaluation split. Every rank enters every
/// collective of every call, whatever its share of the rows. The trainer then checks the
/// gradient, steps the optimizer and calls after_step.
class Step {
 public:
  virtual ~Step() = default;
  /// Gradient of step `step` (0-based) into params.flat_grad() (zeroed by the trainer).
  virtual StepSums gradient(int64_t step) = 0;
  /// After the optimizer: updates of the persistent state (every rank the same).
  virtual void after_step(int64_t /*step*/) {}
  /// The evaluation protocol on the plan's evaluation split (collective): config.val_episodes
  /// episodes, or every task's examples of the split; the mean, its 95% interval and every
  /// episode's (task's) value. `before_each` runs before each of this rank's episodes (tasks).
  virtual learn::EvalResult evaluate(const std::function<void()>& before_each = {}) = 0;
  /// A validation result in words: "accuracy 97.13% ± 0.41% (200 episodes)".
  virtual std::string describe(const learn::EvalResult& result) const = 0;
  /// The gradient allreduce's figures so far (zero for a step without one).
  virtual ReductionStats reduction() const { return {}; }
  /// Seconds this rank's gradient() calls so far waited for their training batches (the
  /// prefetcher's next(), the source's sample, their copy to the device).
  virtual double sampling_seconds() const { return 0.0; }
  /// Whether the rows have an accuracy (classifiers; not the sinusoid regression).
  virtual bool has_accuracy() const { return true; }
  /// The persistent state for a checkpoint, and its restoration.
  virtual std::vector<std::pair<std::string, Tensor>> state() const { return {}; }
  virtual void load_state(const std::vector<std::pair<std::string, Tensor>>& /*state*/) {}
};

/// The step of a plan: multi-task learning (labelled task mini-batches through the plan's
/// MultiTaskObjective) when it has an objective, an objective on unlabelled examples (rows of
/// the train split's examples through its UnlabelledObjective) when it has one, else meta-learning (the plan's episode sources
/// through its EpisodicLearner, training episodes prefetched from step `start`).
std::unique_ptr<Step> make_step(const RunPlan& plan, nn::Params& params, dist::Communicator& comm,
                                int64_t start);

namespace detail {
std::unique_ptr<Step> make_episodic_step(const RunPlan& plan, nn::Params& params,
                                         dist::Communicator& comm, int64_t start);
std::unique_ptr<Step> make_multitask_step(const RunPlan& plan, nn::Params& params,
                                          dist::Communicator& comm);
std::unique_ptr<Step> make_unlabelled_step(const RunPlan& plan, nn::Params& params,
                                           dist::Communicator& comm);
}  // namespace detail

}  // namespace cz::train
