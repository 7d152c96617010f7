// The meta-training loop: episodes -> meta-loss -> meta-gradient -> allreduce -> Adam, with
// validation, metrics, checkpoints and pre-emption.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cezanne/data/EpisodeSource.hpp"
#include "cezanne/data/Store.hpp"
#include "cezanne/dist/Communicator.hpp"
#include "cezanne/data/MultiTaskSource.hpp"
#include "cezanne/data/UnlabelledSource.hpp"
#include "cezanne/learn/EpisodicLearner.hpp"
#include "cezanne/learn/MultiTaskObjective.hpp"
#include "cezanne/learn/UnlabelledObjective.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/train/Cactus.hpp"
#include "cezanne/train/Checkpoint.hpp"
#include "cezanne/train/InitFrom.hpp"
#include "cezanne/train/Recipe.hpp"
#include "cezanne/train/TrainConfig.hpp"

namespace cz::train {

/// Exit status of a run that stopped before --steps (SIGUSR2, SIGTERM or --stop-after) after
/// writing its checkpoint: EX_TEMPFAIL, "run me again"; the sbatch scripts requeue on it.
inline constexpr int kStoppedStatus = 75;

/// Exit status of `cezanne train --check-finished` when --out's newest valid checkpoint is
/// before --steps (0 when it is at --steps or later).
inline constexpr int kNotFinishedStatus = 3;

/// The collective watchdog of a run (--watchdog): a collective that blocks longer than the
/// limit aborts every rank, naming the collective (a rank that hangs, was stopped or died).
inline constexpr double kWatchdogStepFactor = 10.0;     ///< limit >= this x the longest step
inline constexpr double kWatchdogRelaxedFactor = 10.0;  ///< limit >= this x floor while `relaxed`

/// The watchdog's limit in seconds under --watchdog `floor` (0: off, and then 0):
/// max(floor, kWatchdogStepFactor x `longest_step`), and at least kWatchdogRelaxedFactor x floor
/// (600 s at the default floor of 60 s) while
/// `relaxed`: during set-up and the first step of an invocation, validation and checkpoints,
/// where ranks may drift apart by more than a step (one writes the checkpoint while the others
/// wait in a barrier). `longest_step` is the longest meta-step of this invocation so far
/// (episodes, backward, allreduce), 0 before the first.
double watchdog_limit(double floor, double longest_step, bool relaxed);

/// A run checked and loaded before the ranks start communicating, so that bad input ends every
/// rank with the same one-line error and nothing written.
struct RunPlan {
  TrainConfig config;
  std::shared_ptr<data::Store> store;  ///< null for --model mlp
  data::ImageShape image{};            ///< the store's; {1, 1, 1} for mlp
  std::unique_ptr<learn::EpisodicLearner> learner;  ///< meta-learning; null for multitask
  /// Meta-learning: the tasks of training steps (null in a plan that only evaluates) and of
  /// evaluation (on eval_split; null in a plan that only trains, as bench step's).
  std::shared_ptr<const data::EpisodeSource> train_episodes, eval_episodes;
  /// The split Step::evaluate uses: val while training, eval's --split.
  data::Split eval_split = data::Split::val;
  /// Multi-task learning (--algo multitask): the tasks, the objective, and with --weighting
  /// manual the weight of each task.
  std::shared_ptr<const data::MultiTaskSource> tasks;
  std::unique_ptr<learn::MultiTaskObjective> objective;
  std::vector<double> task_weights;
  /// Objectives on unlabelled examples (--algo vae): the examples of the train split (null in
  /// a plan that only evaluates), of eval_split, and the objective.
  std::shared_ptr<const data::UnlabelledSource> train_examples, eval_examples;
  std::unique_ptr<learn::UnlabelledObjective> unlabelled;
  /// The fine-tuning recipe: frozen parameters, per-parameter rates, schedules of unfreezing.
  std::shared_ptr<const Recipe> recipe;
  /// --init-from: checkpoint values of some parameters of a fresh run (empty when resuming).
  std::vector<InitValue> init;
  /// The checkpoint the run continues from (--resume), with its path.
  std::optional<std::pair<std::filesystem::path, Checkpoint>> resume;
  /// --pseudo-tasks cactus: the encoder whose clusters train() turns into train_episodes (over
  /// the ranks, before the first step); null otherwise.
  std::shared_ptr<const CactusEncoder> cactus;
  /// Damaged checkpoints skipped by --resume auto, a rank-count change, ...
  std::vector<std::string> warnings;

  /// The parameters theta and the algorithm's name, whichever kind of learning.
  std::vector<nn::ParamSpec> specs() const;
  std::string algorithm() const;
};

/// Validates the config, opens the store, builds the learner, finds and checks the checkpoint
/// to resume, and makes sure --out is a writable directory (creating it). Throws
/// std::invalid_argument (bad option, incompatible checkpoint, an --out that already holds a
/// run without --resume), data::StoreError (store) or CheckpointError (--resume FILE damaged).
RunPlan plan_run(const TrainConfig& config);

/// The multi-task part of a plan (--algo multitask): from plan.config on plan.store (open, with
/// plan.image its shape) the task source, the objective and, with --weighting manual, the task
/// weights. Throws std::invalid_argument with one line naming the option and value (an unknown
/// task, a task with too few examples for the split, a conditioning that does not fit).
void plan_multitask(RunPlan& plan);

/// The unlabelled part of a plan (--algo vae, triplet, nt_xent, moco): from plan.config on
/// plan.store (open) the examples of the train split and of plan.eval_split, and the objective.
/// Throws std::invalid_argument with one line naming the option and value.
void plan_unlabelled(RunPlan& plan);

/// What only the number of ranks decides (checked once MPI has started): a contrastive batch of
/// negatives too small (local: the rank with the fewest rows needs 2 examples, an example and a
/// negative; global: every rank needs a row, since each enters the gather). Throws
/// std::invalid_argument "--<option>: <why>".
void check_ranks(const TrainConfig& config, int ranks);

/// The episodes of `split` a meta-learning run draws with config's seed and episode options:
/// sinusoid tasks for --model mlp, else N-way K-shot episodes of `store`. Throws
/// std::invalid_argument when the split cannot hold them (the sampler names the problem).
std::shared_ptr<const data::EpisodeSource> episode_source(const TrainConfig& config,
                                                          std::shared_ptr<data::Store> store,
                                                          data::Split split);

/// Trains on every rank of `world` from plan.resume (or a fresh initialization) to
/// config.steps, with the parameters on this rank's --device (dist::rank_device) and the step's
/// collectives on step_communicator(--collectives). Rank 0 writes metrics and checkpoints.
/// Returns 0 when --steps are done, or kStoppedStatus after the checkpoint of an agreed stop.
/// Throws std::runtime_error on a non-finite meta-gradient (the same decision on every rank: the
/// reduced gradient is).
int train(RunPlan& plan, dist::Communicator& world);

/// The store a checkpoint's run trained on: the one it records, or for a checkpoint written
/// before it recorded one, the store at the run's --store path if that still opens.
std::optional<data::StoreFingerprint> training_store(const Checkpoint& checkpoint);

/// The specs (names and shapes) of a checkpoint's parameters, for check_checkpoint.
std::vector<nn::ParamSpec> checkpoint_specs(const Checkpoint& checkpoint);

/// Copies a checkpoint's parameter values into `params` (same order and shapes: check with
/// check_checkpoint first).
void load_parameters(const Checkpoint& checkpoint, nn::Params& params);

}  // namespace cz::train
