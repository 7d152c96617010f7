// TrainConfig: every option of a training run, its one table of names, defaults and help, and
// the learner and episode settings derived from it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cezanne/data/Episode.hpp"
#include "cezanne/data/StoreWriter.hpp"
#include "cezanne/learn/EpisodicLearner.hpp"
#include "cezanne/nn/Vit.hpp"

namespace cz::train {

/// The options of `cezanne train` (and the config a checkpoint records). Names on the command
/// line are the field names with '-' for '_' (see train_options()).
struct TrainConfig {
  // learner and model
  std::string algo = "protonet";
  std::string model = "conv4";  ///< conv4 (images from --store) or mlp (sinusoid regression)
  int64_t filters = 64;
  int64_t hidden = 128;
  bool memory = false;
  int64_t ways = 5, shots = 1, queries = 15;
  int64_t meta_batch = 8;
  int64_t inner_steps = 1, test_inner_steps = 0;
  double inner_lr = 0.4;
  bool multi_step_loss = false;
  bool zero_head = false;
  double matching_scale = 10.0;
  int64_t samples = 10;
  std::string meta_reg = "none";
  std::string meta_reg_params = "all";
  double meta_reg_scale = 0.0;
  // multi-task learning (--algo multitask): a task is a writing system of --store
  std::string conditioning = "multi_head";
  int64_t task_descriptor = 0;
  std::string weighting = "uniform";
  std::string task_weights;
  double worst_task_eta = 0.01;
  double worst_task_decay = 0.1;
  int64_t examples_per_task = 16;
  std::string task_sampling = "uniform";
  double temperature = 5.0;
  std::string example_split = "14/2/4";
  std::string tasks;
  int64_t train_examples = 0;  ///< multitask: K labelled train examples per class (0: all)
  // latent-variable models (--algo vae): rows of --examples-per-task unlabelled examples
  int64_t latent = 20;
  double beta = 1.0;
  std::string likelihood = "bernoulli";
  int64_t iwae_samples = 100;
  std::string split_by = "class";  ///< vae: class, or example (the --example-split parts)
  // contrastive pre-training (--algo triplet, nt_xent, moco): two views of every example
  int64_t projection = 64;
  double margin = 0.2;
  std::string mining = "semi-hard";
  double contrast_temperature = 0.5;
  std::string negatives = "local";
  int64_t queue = 4096;
  double momentum = 0.99;
  // the vision transformer (--model vit) and the reconstruction objectives (--algo autoencoder, mae)
  int64_t patch = 7;
  int64_t dim = 64;
  int64_t depth = 4;
  int64_t heads = 4;
  int64_t mlp_ratio = 4;
  double mask_ratio = 0.75;
  bool norm_pix = false;
  int64_t decoder_dim = 32;
  int64_t decoder_depth = 2;
  int64_t bottleneck = 32;
  double noise = 0.0;
  // --pseudo-tasks cactus: clusters of --encoder's embedding of the train split (docs/pretraining.md)
  std::string encoder;
  int64_t partitions = 1, clusters = 500, kmeans_iterations = 20;
  // episodes
  std::string store;
  bool within_domain = false;
  bool shuffle_labels = true;
  bool rotations = false;
  // unsupervised meta-learning: meta-train on pseudo-tasks made from unlabelled train examples
  std::string pseudo_tasks = "none";  ///< none (labelled episodes), augmentation or cactus
  std::string augment = "default";    ///< data::AugmentSpec::parse text of the views (these, contrastive)
  // optimization
  int64_t steps = 1000;
  double lr = 1e-3;
  std::string freeze;
  std::string lr_scale;
  // transfer (notes: "Transfer learning"): initialization and fine-tuning recipes (Recipe.hpp)
  std::string init_from;
  std::string init_params = "*";
  std::string init_rename;
  std::string trainable;
  double lr_decay = 1.0;
  int64_t unfreeze_every = 0;
  bool head_first = false;
  bool early_stop = false;
  int64_t patience = 3;
  std::string schedule = "constant";
  int64_t warmup = 0;
  uint64_t seed = 0;
  // validation, checkpoints, this invocation
  int64_t val_every = 100;
  int64_t val_episodes = 200;
  std::string out;
  int64_t checkpoint_every = 100;
  int64_t keep = 3;
  std::string resume;
  int64_t stop_after = 0;
  int64_t threads = 0;
  std::string device = "cpu";
  /// "on": f32 GEMMs on CUDA devices may use TF32 (cz::set_tf32); "off", the default: f32.
  std::string tf32 = "off";
  int64_t tasks_per_pass = 0;
  /// The gradient allreduce: overlapped with the last backward pass ("on") or after it ("off"),
  /// in buckets of bucket_kb KiB (train::StepReducer).
  std::string overlap = "off";
  /// Who moves the gradient and the step's device tensors between ranks: auto, nccl or mpi
  /// (train::resolve_collectives).
  std::string collectives = "auto";
  int64_t bucket_kb = 25600;
  double log_seconds = 10.0;
  /// Floor of the collective watchdog's limit, in seconds (0: off); see watchdog_limit().
  double watchdog = 60.0;
};

/// One option: its command-line name, help text and field. `identity` options define the run:
/// a checkpoint resumes only under the same values (the rest may change between invocations).
struct TrainOption {
  using Field = std::variant<std::string TrainConfig::*, int64_t TrainConfig::*,
                             double TrainConfig::*, bool TrainConfig::*, uint64_t TrainConfig::*>;
  const char* name;
  const char* help;
  Field field;
  bool identity;
};

/// Every option, in --help order.
const std::vector<TrainOption>& train_options();

/// The option called `name` of train_options(), for the commands that take it too (eval and
/// bench step: --tf32). Throws std::out_of_range naming it when there is none.
const TrainOption& train_option(const std::string& name);

/// --tf32's value: true for "on", false for "off"; otherwise std::invalid_argument
/// "--tf32: on or off, got '<value>'".
bool tf32_from(const std::string& value);

/// The values a numeric option accepts: [low, high], with ( when `open_low` and ) when
/// `open_high` (the mask ratio's (0, 1)); a double
/// must also be finite. Integer bounds are integral and below 2^53 (exact as doubles).
struct Bounds {
  double low = 0, high = 0;
  bool open_low = false;
  bool open_high = false;
};

/// "[1, 10000]", "(0, 1000]" or "(0, 1)".
std::string to_string(const Bounds& bounds);

/// The bounds of the int64 or double option `name` of train_options() (also used by eval and
/// bench for the options they share with train), or nullptr for one without (the uint64 seed
/// accepts every value). See the table in TrainConfig.cpp for why each bound is what it is.
const Bounds* option_bounds(const std::string& name);

/// The most examples (support and query, over all tasks) of one meta-step: --meta-batch x
/// --ways x (--shots + --queries) (ways 1 for --model mlp) must not exceed it.
inline constexpr int64_t kMaxExamplesPerStep = 10'000'000;

/// "" when option `o` of `config` is within its bounds, else "--<name>: must be in [a, b], got
/// <value>" (the message of the command line's check, too).
std::string bounds_error(const TrainConfig& config, const TrainOption& o);

/// The config as (name, value) pairs in train_options() order; doubles round-trip exactly.
std::vector<std::pair<std::string, std::string>> to_pairs(const TrainConfig& config);
/// The inverse of to_pairs; names it does not know are ignored, missing ones keep defaults.
/// Throws std::invalid_argument "<name>: cannot parse '<value>'".
TrainConfig from_pairs(const std::vector<std::pair<std::string, std::string>>& pairs);

/// The first identity option whose value differs, as "--<name> <a> (checkpoint) vs <b>", or ""
/// when `a` (a checkpoint's config) and `b` (this run's) define the same run.
std::string identity_difference(const TrainConfig& checkpoint, const TrainConfig& run);

/// Checks every numeric option against option_bounds() (so that no value wraps when narrowed
/// to 32 bits and no allocation it sizes is absurd), the examples of a meta-step against
/// kMaxExamplesPerStep, and values that no other component checks (intervals, schedule,
/// meta-reg, model, resume, that conv4 has a store). Throws std::invalid_argument
/// "--<option>: <why>". Not --out: plan_run requires it, bench step validates a run without one.
void validate(const TrainConfig& config);

/// True for multi-task learning (--algo multitask): labelled task mini-batches, not episodes.
inline bool is_multitask(const TrainConfig& config) { return config.algo == "multitask"; }

/// True for the contrastive objectives (--algo triplet, nt_xent, moco).
inline bool is_contrastive(const TrainConfig& config) {
  return config.algo == "triplet" || config.algo == "nt_xent" || config.algo == "moco";
}

/// True for objectives on unlabelled examples (--algo vae, autoencoder, mae, the contrastive
/// ones): rows of examples of the train split.
inline bool is_unlabelled(const TrainConfig& config) {
  return config.algo == "vae" || config.algo == "autoencoder" || config.algo == "mae" || is_contrastive(config);
}

/// The ViT of --model vit (and the MAE's encoder) over square images of `channels` x `side`.
nn::VitSpec vit_spec(const TrainConfig& config, int64_t channels, int64_t side);

/// True when meta-training draws augmentation tasks (--pseudo-tasks augmentation): classes are
/// single unlabelled train examples, shots and queries their --augment views.
inline bool is_augmentation_tasks(const TrainConfig& config) { return config.pseudo_tasks == "augmentation"; }

/// True for the sinusoid regression runs (--model mlp of an episodic algorithm).
inline bool is_regression(const TrainConfig& config) {
  return config.model == "mlp" && !is_unlabelled(config);
}

/// Tasks per forward/backward pass for learn::backward_meta_loss (0 there: all at once) from
/// --tasks-per-pass `requested` (0: auto). Auto is 2 for conv4 on the CPU, whose graph holds
/// about 150 MB of activations per 5-way 15-query task while two tasks per pass keep its speed;
/// all of a rank's tasks on a GPU, where the task axis of one pass is what fills the device, and
/// for the sinusoid MLP, whose tasks are too small to run apart.
inline int64_t tasks_per_pass(int64_t requested, const std::string& model, Device device) {
  if (requested != 0) return requested;
  return model == "mlp" || device.type == DeviceType::cuda ? 0 : 2;
}

/// The learner settings of a config: the model (Conv4 over `image` with a head of `ways`
/// outputs, or the sinusoid MLP) and the algorithm's options. Throws std::invalid_argument
/// from make_learner or the model (e.g. an image too small for Conv4).
learn::LearnerConfig learner_config(const TrainConfig& config, const data::ImageShape& image);

/// The episode spec of the meta-training and validation episodes.
data::EpisodeSpec episode_spec(const TrainConfig& config);

/// "conv4 filters=64 channels=1 image=28 ways=5", "vit patch=7 dim=64 depth=4 heads=4
/// mlp-ratio=4 channels=1 image=28 ways=5" or "mlp 1-40-40-1".
std::string model_description(const TrainConfig& config, const data::ImageShape& image);

}  // namespace cz::train
