// The option table of a training run and the settings derived from it.
#include "cezanne/train/TrainConfig.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "cezanne/backend/Backend.hpp"
#include "cezanne/data/Augment.hpp"
#include "cezanne/data/ExampleSplit.hpp"
#include "cezanne/dist/RankDevice.hpp"
#include "cezanne/learn/Algorithms.hpp"
#include "cezanne/learn/SinusoidTasks.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/train/StepCommunicator.hpp"

namespace cz::train {

namespace {

using C = TrainConfig;

std::string render(const std::string& v) { return v; }
std::string render(int64_t v) { return std::to_string(v); }
std::string render(uint64_t v) { return std::to_string(v); }
std::string render(bool v) { return v ? "true" : "false"; }
std::string render(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

[[noreturn]] void cannot_parse(const std::string& name, const std::string& value) {
  throw std::invalid_argument(name + ": cannot parse '" + value + "'");
}

template <class T>
T parse_number(const std::string& name, const std::string& value) {
  T out{};
  const char* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, out);
  if (ec != std::errc() || ptr != end) cannot_parse(name, value);
  return out;
}

void parse_into(C& c, std::string C::*f, const std::string&, const std::string& v) { c.*f = v; }
void parse_into(C& c, int64_t C::*f, const std::string& n, const std::string& v) {
  c.*f = parse_number<int64_t>(n, v);
}
void parse_into(C& c, uint64_t C::*f, const std::string& n, const std::string& v) {
  c.*f = parse_number<uint64_t>(n, v);
}
void parse_into(C& c, double C::*f, const std::string& n, const std::string& v) {
  try {
    size_t used = 0;
    c.*f = std::stod(v, &used);
    if (used != v.size()) cannot_parse(n, v);
  } catch (const std::logic_error&) {
    cannot_parse(n, v);
  }
}
void parse_into(C& c, bool C::*f, const std::string& n, const std::string& v) {
  if (v == "true" || v == "1") {
    c.*f = true;
  } else if (v == "false" || v == "0") {
    c.*f = false;
  } else {
    cannot_parse(n, v);
  }
}

std::string value_of(const C& c, const TrainOption& o) {
  return std::visit([&](auto field) { return render(c.*field); }, o.field);
}

}  // namespace

const std::vector<TrainOption>& train_options() {
  // clang-format off
  static const std::vector<TrainOption> options{
    {"algo", "the algorithm (cezanne train --algo NAME --help lists NAME's own options)", &C::algo, true},
    {"model", "conv4 (images of --store), vit (a vision transformer on the images of --store: --patch, --dim, --depth, --heads, --mlp-ratio) or mlp (sinusoid regression, 1-40-40-1); vae: conv4 (the convolutional encoder and decoder) or mlp; autoencoder: conv4; mae: vit", &C::model, true},
    {"filters", "Conv4 filters per layer (vae conv4, autoencoder: of every convolution)", &C::filters, true},
    {"hidden", "mann: LSTM hidden size; neural_process: width of its encoders, decoder and latent; vae: hidden units of the encoder and of the decoder", &C::hidden, true},
    {"memory", "mann: an external memory for the LSTM (content-based reads, least-recently-used writes)", &C::memory, true},
    {"ways", "classes per episode (the MAML family's head has this many outputs)", &C::ways, true},
    {"shots", "support examples per class (mlp: K support points)", &C::shots, true},
    {"queries", "query examples per class (mlp: query points)", &C::queries, true},
    {"meta-batch", "episodes per meta-step, over all ranks (multitask: task rows per step; vae, triplet, nt_xent, moco: rows of --examples-per-task examples)", &C::meta_batch, true},
    {"inner-steps", "MAML family: inner SGD steps while meta-training", &C::inner_steps, true},
    {"test-inner-steps", "MAML family: inner steps at validation and test (0: --inner-steps)", &C::test_inner_steps, true},
    {"inner-lr", "MAML family: inner learning rate", &C::inner_lr, true},
    {"multi-step-loss", "MAML family: meta-loss = mean of the query losses after every inner step (MAML++)", &C::multi_step_loss, true},
    {"zero-head", "MAML family: start every inner loop with the head at zero (the zeroing trick)", &C::zero_head, true},
    {"matching-scale", "matching: softmax scale of the cosine attention", &C::matching_scale, true},
    {"samples", "neural_process, versa: sampled task latents (z, or classifier heads) per task in the ELBO; the neural process's predictive distribution samples as many (versa's averages over its heads exactly)", &C::samples, true},
    {"meta-reg", "meta-regularization: none, weight_noise or information", &C::meta_reg, true},
    {"meta-reg-params", "meta-regularized parameters: all, body (before the model's head) or head (the model's head; a black-box learner's own parameters)", &C::meta_reg_params, true},
    {"meta-reg-scale", "meta-regularization strength (noise std or penalty weight)", &C::meta_reg_scale, true},
    {"conditioning", "multitask: how the network is conditioned on the task: share_nothing (one network per task), concat_input, concat_features, additive, multiplicative, film or multi_head", &C::conditioning, true},
    {"task-descriptor", "multitask, concat_*: the task descriptor z: 0 one-hot, N a learned task embedding of size N", &C::task_descriptor, true},
    {"weighting", "multitask: per-task losses -> loss: uniform, manual (--task-weights), worst_task, uncertainty or pcgrad (gradient surgery across ranks)", &C::weighting, true},
    {"task-weights", "multitask, --weighting manual: a file of 'TASK WEIGHT' lines (unlisted tasks: 1)", &C::task_weights, true},
    {"worst-task-eta", "multitask, worst_task: step size of the exponentiated-gradient task weights", &C::worst_task_eta, true},
    {"worst-task-decay", "multitask, worst_task: weight of a step's loss in the running per-task loss estimates", &C::worst_task_decay, true},
    {"examples-per-task", "multitask: examples of a task per row of a step (the row's mini-batch); vae, triplet, nt_xent, moco: examples per row", &C::examples_per_task, true},
    {"task-sampling", "multitask: how a row's task is drawn: uniform, size (by train examples) or temperature (p ~ n^(1/--temperature))", &C::task_sampling, true},
    {"temperature", "multitask, --task-sampling temperature: the sampling temperature", &C::temperature, true},
    {"example-split", "multitask, and vae with --split-by example: TRAIN/VAL/TEST parts of every class's examples (split by example, not by class)", &C::example_split, true},
    {"tasks", "multitask: comma-separated writing systems to learn (default: every one of --store)", &C::tasks, true},
    {"train-examples", "multitask: K labelled train examples per class, drawn by --seed from the class's train part (0: all; the K-shot targets of transfer learning)", &C::train_examples, true},
    {"latent", "vae: size of the latent variable z", &C::latent, true},
    {"beta", "vae, versa: weight of the KL term in the training loss (1: the ELBO; the VAE's reported bounds always use 1)", &C::beta, true},
    {"likelihood", "vae: the decoder's p(x|z) on the pixels: bernoulli (logits) or gaussian (means and a learned per-pixel variance)", &C::likelihood, true},
    {"iwae-samples", "vae: samples k of the importance-weighted bound at validation (cezanne eval has its own, default 5000)", &C::iwae_samples, false},
    {"split-by", "vae: class (train on the train classes, validate and evaluate on held-out classes) or example (the --example-split parts of every class, for a store whose classes are all in train, as Fashion-MNIST)", &C::split_by, true},
    {"projection", "triplet, nt_xent, moco: size of the projection head on Conv4's embedding (its hidden layer and its output, which the losses compare)", &C::projection, true},
    {"margin", "triplet: the hinge margin eps of max(0, |f(x) - f(x+)|^2 - |f(x) - f(x-)|^2 + eps), on unit-length projections", &C::margin, true},
    {"mining", "triplet: which negatives: none (every negative of the batch), hardest (the nearest) or semi-hard (the nearest farther than the positive)", &C::mining, true},
    {"contrast-temperature", "nt_xent, moco: the temperature tau of the softmax over cosine similarities / tau", &C::contrast_temperature, true},
    {"negatives", "triplet, nt_xent: local (the rank's own examples are the negatives) or global (every rank's: the step's whole batch, gathered)", &C::negatives, true},
    {"queue", "moco: keys in the queue of negatives, a multiple of a step's keys (--meta-batch x --examples-per-task)", &C::queue, true},
    {"momentum", "moco: the key encoder's momentum m (key <- m key + (1 - m) theta after every step), in [0, 1)", &C::momentum, true},
    {"patch", "vit, mae: side of the square patches the images are cut into (divides the image side)", &C::patch, true},
    {"dim", "vit, mae: width of the tokens (the embedding size)", &C::dim, true},
    {"depth", "vit, mae: transformer blocks of the encoder", &C::depth, true},
    {"heads", "vit, mae: attention heads of every block (divides --dim, and --decoder-dim for mae)", &C::heads, true},
    {"mlp-ratio", "vit, mae: hidden width of each block's MLP over --dim (and --decoder-dim)", &C::mlp_ratio, true},
    {"mask-ratio", "mae: fraction of each image's patches masked, in (0, 1); round(ratio x patches) are masked, at least one of each kind", &C::mask_ratio, true},
    {"norm-pix", "mae: the target of each masked patch is its pixels normalized by the patch's mean and variance", &C::norm_pix, true},
    {"decoder-dim", "mae: width of the light decoder's tokens", &C::decoder_dim, true},
    {"decoder-depth", "mae: transformer blocks of the decoder", &C::decoder_depth, true},
    {"bottleneck", "autoencoder: size of the code between the encoder and the decoder", &C::bottleneck, true},
    {"noise", "autoencoder: std of the Gaussian noise added to the inputs (a denoising autoencoder: the target stays the clean image; 0: off)", &C::noise, true},
    {"store", "store directory (conv4, vit; see cezanne prepare)", &C::store, true},
    {"encoder", "--pseudo-tasks cactus: checkpoint of an objective on unlabelled examples (vae) whose embedding is clustered", &C::encoder, true},
    {"partitions", "--pseudo-tasks cactus: k-means partitions of the embedded train split, each with its own seed; an episode draws one", &C::partitions, true},
    {"clusters", "--pseudo-tasks cactus: clusters k of every partition (the pseudo-classes)", &C::clusters, true},
    {"kmeans-iterations", "--pseudo-tasks cactus: at most this many Lloyd iterations per partition (fewer when the assignment is stable)", &C::kmeans_iterations, true},
    {"within-domain", "draw each episode's classes from one domain (writing system)", &C::within_domain, true},
    {"shuffle-labels", "fresh class->label assignment per episode (false shows memorization)", &C::shuffle_labels, true},
    {"rotations", "rotations by 90 degrees make new classes", &C::rotations, true},
    {"pseudo-tasks", "meta-train without labels on pseudo-tasks of the train split: none (labelled episodes), augmentation (each class one unlabelled example, its shots and queries --augment views of it) or cactus (each class a k-means cluster of --encoder's embedding of the train split); validation and evaluation stay on real episodes", &C::pseudo_tasks, true},
    {"augment", "the augmentations of --pseudo-tasks augmentation and of the two views of --algo triplet, nt_xent, moco: default, none, or FIELD=VALUE,... over the defaults (crop_p, crop, crop_aspect, flip, affine_p, rotation, scale, shear, translate, elastic_p, elastic, stroke_p, thicken, thin, noise_p, noise, erase_p, erase; docs/pretraining.md)", &C::augment, true},
    {"steps", "meta-steps of the whole run", &C::steps, false},
    {"lr", "Adam learning rate (outer loop)", &C::lr, true},
    {"freeze", "parameters not trained, by name (comma-separated shell patterns, e.g. 'block0.*,block1.*'): no gradient is computed for them and Adam leaves them as they are; may change between invocations", &C::freeze, false},
    {"lr-scale", "per-parameter learning-rate scales, PATTERN=SCALE,... (e.g. 'head.*=10,block*=0.5'): the first pattern a parameter matches sets its scale, 1 when none; may change between invocations", &C::lr_scale, false},
    {"init-from", "initialize from this checkpoint (any algorithm's) the parameters --init-params selects; the rest freshly (transfer learning)", &C::init_from, true},
    {"init-params", "--init-from: the checkpoint's parameters to load, comma-separated shell patterns (e.g. 'block*'); each must match one", &C::init_params, true},
    {"init-rename", "--init-from: FROM=TO,...: a checkpoint parameter whose name starts with FROM loads into the one named TO + the rest", &C::init_rename, true},
    {"trainable", "the only parameters trained, by name (comma-separated shell patterns, e.g. 'block1.*,head.*'); the others are frozen like --freeze", &C::trainable, false},
    {"lr-decay", "discriminative learning rates: a layer at depth d below the top (the head: 0) trains at lr x decay^d (1: off)", &C::lr_decay, false},
    {"unfreeze-every", "gradual unfreezing: the top layer trains from the start, one more layer below it every N steps (0: off)", &C::unfreeze_every, true},
    {"head-first", "train the top layer alone until validation stops improving (--patience), then every parameter (the notes' default recipe)", &C::head_first, true},
    {"early-stop", "stop when validation has not improved for --patience validations; best.h5 keeps the best step", &C::early_stop, false},
    {"patience", "validations without improvement that end --head-first's first phase and --early-stop's run", &C::patience, false},
    {"schedule", "learning-rate schedule: constant or cosine (over --steps)", &C::schedule, true},
    {"warmup", "linear warm-up steps of the cosine schedule", &C::warmup, true},
    {"seed", "seed of the initialization, the episodes and the noise", &C::seed, true},
    {"val-every", "validate every N meta-steps (and at the end; 0: only at the end)", &C::val_every, false},
    {"val-episodes", "validation episodes (held-out val split; vae: examples of the val split, evenly spaced; triplet, nt_xent, moco: rows of --examples-per-task examples spread over the val split)", &C::val_episodes, false},
    {"out", "run directory: metrics.csv, metrics.jsonl, checkpoints", &C::out, false},
    {"checkpoint-every", "write a checkpoint every N meta-steps (and at the end)", &C::checkpoint_every, false},
    {"keep", "checkpoints kept (the newest)", &C::keep, false},
    {"resume", "auto (newest valid checkpoint of --out, if any) or a checkpoint file", &C::resume, false},
    {"stop-after", "checkpoint and stop (status 75) after N meta-steps of this invocation, as if signalled (0: off)", &C::stop_after, false},
    {"threads", "CPU threads per rank (0: the OpenMP default)", &C::threads, false},
    {"device", "where parameters, activations and optimizer state live: cpu; cuda (each rank the GPU of its node-local rank, modulo the visible GPUs: one rank per GPU) or cuda:N; or check (the checking device of the tests: host memory the code above the backend may not read, see docs/engine.md)", &C::device, false},
    {"tf32", "on: f32 matrix products on a CUDA device (GEMMs, convolutions) may round their inputs to TF32 on the tensor cores (faster, about 1e-3 relative); off: f32 throughout. f64 and the CPU are unaffected (docs/engine.md)", &C::tf32, false},
    {"tasks-per-pass", "tasks of a rank per forward/backward pass, gradients accumulated: fewer, less memory (0: auto: 2 for conv4 episodes on the CPU; all on a GPU, for mlp and for multitask rows)", &C::tasks_per_pass, false},
    {"overlap", "on: each bucket of the gradient allreduce starts during the last backward pass as soon as its gradients are final (second-order MAML included), off: all after backward; the same result bit for bit (docs/scaling.md)", &C::overlap, false},
    {"collectives", "who moves the gradient between ranks: nccl (straight from GPU memory; needs --device cuda), mpi (MPI, through a host copy each way when the parameters are on a device), or auto: nccl when --device is cuda, NCCL is built and there are several ranks, else mpi (docs/distributed.md)", &C::collectives, false},
    {"bucket-kb", "KiB per bucket of the gradient allreduce (smaller: more of it overlaps backward, more latency per step)", &C::bucket_kb, false},
    {"log-seconds", "seconds between log lines when stderr is not a terminal", &C::log_seconds, false},
    {"watchdog", "seconds a rank may wait in a collective for another before every rank is aborted (a hung or stopped rank): at least this, 10x the longest step so far, and 600 during set-up, the first step, validation and checkpoints; 0: off (default: $CEZANNE_WATCHDOG_SECONDS, else 60)", &C::watchdog, false},
  };
  // clang-format on
  return options;
}

// Bounds of the numeric options (docs/training.md lists them). Each keeps the value exact where
// it is narrowed to int (EpisodeSpec, SinusoidSpec, LearnerConfig, CheckpointDir,
// set_num_threads), keeps the products that size tensors far from int64 overflow (ways x
// (shots + queries) <= 2e8 rows of an episode; a meta-step's examples are also capped by
// kMaxExamplesPerStep) and keeps a single value from exhausting a node's memory by itself; the
// upper bounds are far above any published few-shot set-up.
//   filters 1024: Conv4 blocks of 1024 x 1024 x 3 x 3 weights (9.4 M each).
//   hidden 4096: the MANN's LSTM, 4 x 4096 x (4096 + input) weights (about 80 M for 28x28).
//   ways, shots, queries, meta-batch 10000: Omniglot with rotations has 6492 classes; a
//     sinusoid task of 10000 + 10000 points is still small.
//   samples 10000: sampled latents (heads) per task, each a full decoder (head) pass.
//   inner-steps, test-inner-steps 1000: MAML keeps every inner step's graph (memory x steps).
//   steps, warmup, val-every, checkpoint-every, stop-after 1e9: meta-steps; 1e9 x meta-batch
//     task indices stay far below 2^63.
//   val-episodes 1e6: one double per episode is allreduced.
//   keep 10000 checkpoints; threads 1024; tasks-per-pass 10000 (the largest meta-batch).
//   patch 1024, dim and decoder-dim 4096, depth and decoder-depth 64, heads 256, mlp-ratio 16:
//     a block of 4096-wide tokens holds 12 x 4096^2 weights (200 M) at mlp-ratio 4; more than 64
//     blocks is far beyond the ViTs of the literature. bottleneck 4096 as latent.
//   mask-ratio (0, 1): a masked autoencoder needs patches of each kind.
//   noise [0, 1e6]: the std of the denoising autoencoder's input noise.
//   bucket-kb 2^20 (1 GiB, a bucket per allreduce of any model here).
//   lr, inner-lr (0, 1000], matching-scale (0, 1e6], meta-reg-scale [0, 1e6], log-seconds and
//     watchdog [0, 1e6] (11 days): finite, and of the sign the learners and optimizer require.
const Bounds* option_bounds(const std::string& name) {
  // clang-format off
  static const std::vector<std::pair<std::string, Bounds>> bounds{
    {"filters", {1, 1024}},
    {"hidden", {1, 4096}},
    {"ways", {1, 10000}},
    {"shots", {1, 10000}},
    {"queries", {1, 10000}},
    {"meta-batch", {1, 10000}},
    {"inner-steps", {1, 1000}},
    {"test-inner-steps", {0, 1000}},
    {"inner-lr", {0, 1000, true}},
    {"matching-scale", {0, 1e6, true}},
    {"samples", {1, 10000}},
    {"meta-reg-scale", {0, 1e6}},
    {"steps", {1, 1e9}},
    {"lr", {0, 1000, true}},
    {"warmup", {0, 1e9}},
    {"val-every", {0, 1e9}},
    {"val-episodes", {1, 1e6}},
    {"checkpoint-every", {1, 1e9}},
    {"keep", {1, 10000}},
    {"stop-after", {0, 1e9}},
    {"threads", {0, 1024}},
    {"tasks-per-pass", {0, 10000}},
    {"bucket-kb", {1, 1048576}},
    {"log-seconds", {0, 1e6}},
    {"task-descriptor", {0, 4096}},
    {"worst-task-eta", {0, 1e6, true}},
    {"worst-task-decay", {0, 1, true}},
    {"examples-per-task", {1, 10000}},
    {"partitions", {1, 10000}},
    {"clusters", {1, 1000000}},
    {"kmeans-iterations", {1, 10000}},
    {"temperature", {0, 1e6, true}},
    {"watchdog", {0, 1e6}},
    {"train-examples", {0, 1e6}},
    {"lr-decay", {0, 1e3, true}},
    {"unfreeze-every", {0, 1e9}},
    {"patience", {1, 1e6}},
    {"latent", {1, 4096}},
    {"beta", {0, 1e6}},
    {"iwae-samples", {1, 1e6}},
    {"projection", {1, 4096}},
    {"margin", {0, 1e3}},
    {"contrast-temperature", {0, 1e3, true}},
    {"queue", {1, 1e7}},
    {"momentum", {0, 1}},
    {"patch", {1, 1024}},
    {"dim", {1, 4096}},
    {"depth", {1, 64}},
    {"heads", {1, 256}},
    {"mlp-ratio", {1, 16}},
    {"decoder-dim", {1, 4096}},
    {"decoder-depth", {1, 64}},
    {"bottleneck", {1, 4096}},
    {"noise", {0, 1e6}},
    {"mask-ratio", {0, 1, true, true}},
  };
  // clang-format on
  for (const auto& [n, b] : bounds)
    if (n == name) return &b;
  return nullptr;
}

std::string to_string(const Bounds& b) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%c%.15g, %.15g%c", b.open_low ? '(' : '[', b.low, b.high,
                b.open_high ? ')' : ']');
  return buffer;
}

std::string bounds_error(const TrainConfig& c, const TrainOption& o) {
  const Bounds* b = option_bounds(o.name);
  if (b == nullptr) return "";
  return std::visit(
      [&](auto field) -> std::string {
        using T = std::decay_t<decltype(c.*field)>;
        if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, double>) {
          const T v = c.*field;
          const auto d = static_cast<double>(v);
          const bool inside =
              std::isfinite(d) && d >= b->low && d <= b->high && !(b->open_low && d == b->low) &&
              !(b->open_high && d == b->high);
          if (inside) return "";
          return "--" + std::string(o.name) + ": must be in " + to_string(*b) + ", got " +
                 render(v);
        } else {
          return "";
        }
      },
      o.field);
}

const TrainOption& train_option(const std::string& name) {
  for (const TrainOption& o : train_options())
    if (name == o.name) return o;
  throw std::out_of_range("train_option: no option '" + name + "'");
}

bool tf32_from(const std::string& value) {
  if (value != "on" && value != "off") throw std::invalid_argument("--tf32: on or off, got '" + value + "'");
  return value == "on";
}

std::vector<std::pair<std::string, std::string>> to_pairs(const TrainConfig& config) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const TrainOption& o : train_options()) pairs.emplace_back(o.name, value_of(config, o));
  return pairs;
}

TrainConfig from_pairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  TrainConfig c;
  for (const auto& [name, value] : pairs)
    for (const TrainOption& o : train_options())
      if (name == o.name)
        std::visit([&, n = name, v = value](auto field) { parse_into(c, field, n, v); }, o.field);
  return c;
}

std::string identity_difference(const TrainConfig& checkpoint, const TrainConfig& run) {
  for (const TrainOption& o : train_options()) {
    if (!o.identity) continue;
    const std::string a = value_of(checkpoint, o), b = value_of(run, o);
    if (a != b) return "--" + std::string(o.name) + " " + a + " (checkpoint) vs " + b;
  }
  return "";
}

void validate(const TrainConfig& c) {
  auto fail = [](const std::string& option, const std::string& why) {
    throw std::invalid_argument("--" + option + ": " + why);
  };
  if (c.model != "conv4" && c.model != "vit" && c.model != "mlp")
    fail("model", "conv4, vit or mlp, got '" + c.model + "'");
  if ((c.model != "mlp" || is_unlabelled(c)) && c.store.empty())
    fail("store", is_unlabelled(c) ? "required with --algo " + c.algo : "required with --model " + c.model);
  // Every numeric option in its bounds first: the checks below multiply them.
  for (const TrainOption& o : train_options())
    if (const std::string e = bounds_error(c, o); !e.empty()) throw std::invalid_argument(e);
  const int64_t ways = is_regression(c) ? 1 : c.ways;  // at most 1e4 x 1e4 x 2e4: no overflow
  const bool rows = is_multitask(c) || is_unlabelled(c);
  if (rows && c.meta_batch * c.examples_per_task > kMaxExamplesPerStep)
    fail("meta-batch", std::to_string(c.meta_batch) + " rows of --examples-per-task " +
                           std::to_string(c.examples_per_task) + " are more than " +
                           std::to_string(kMaxExamplesPerStep) + " examples per step");
  if (const int64_t examples = c.meta_batch * ways * (c.shots + c.queries);
      !rows && examples > kMaxExamplesPerStep)
    fail("meta-batch", std::to_string(c.meta_batch) + " tasks of " +
                           (is_regression(c) ? "" : "--ways " + std::to_string(c.ways) + " x ") +
                           "(--shots " + std::to_string(c.shots) + " + --queries " +
                           std::to_string(c.queries) + ") are " + std::to_string(examples) +
                           " examples per meta-step, more than " +
                           std::to_string(kMaxExamplesPerStep));
  Device device;
  try {
    device = dist::rank_device(c.device);
    backend_for(device);
  } catch (const DeviceError& e) {
    fail("device", e.what());
  }
  resolve_collectives(c.collectives, device, 1);  // its refusals; the choice itself needs the ranks
  if (c.overlap != "on" && c.overlap != "off") fail("overlap", "on or off, got '" + c.overlap + "'");
  tf32_from(c.tf32);  // its own one-line error
  // The gathered negatives' backward is itself a collective, which the buckets' allreduces would
  // interleave with in an order that may differ across ranks.
  if (c.overlap == "on" && c.negatives == "global")
    fail("overlap", "on is for losses without a collective in their backward; --negatives global gathers there: use --overlap off");
  if (c.schedule != "constant" && c.schedule != "cosine")
    fail("schedule", "constant or cosine, got '" + c.schedule + "'");
  if (c.schedule == "cosine" && c.warmup >= c.steps) fail("warmup", "must be below --steps");
  if (c.meta_reg != "none" && c.meta_reg != "weight_noise" && c.meta_reg != "information")
    fail("meta-reg", "none, weight_noise or information, got '" + c.meta_reg + "'");
  if (c.meta_reg_params != "all" && c.meta_reg_params != "body" && c.meta_reg_params != "head")
    fail("meta-reg-params", "all, body or head, got '" + c.meta_reg_params + "'");
  const learn::Algorithm* algorithm = learn::find_algorithm(c.algo);
  if (algorithm == nullptr) fail("algo", "one of " + learn::algorithm_names() + "; got '" + c.algo + "'");
  if (c.zero_head && !algorithm->inner_loop)
    fail("zero-head", "for --algo maml, fomaml or anil, got '" + c.algo + "'");
  if (algorithm->regression_only && !is_regression(c))
    fail("model", "--algo " + c.algo + " is sinusoid regression: mlp, got '" + c.model + "'");
  if (c.memory && c.algo != "mann") fail("memory", "for --algo mann, got '" + c.algo + "'");
  if ((is_multitask(c) || is_contrastive(c)) && c.model != "conv4")
    fail("model", "--algo " + c.algo + " needs conv4, got '" + c.model + "'");
  if (c.algo == "vae" && c.model == "vit") fail("model", "--algo vae needs conv4 or mlp, got 'vit'");
  if (c.algo == "autoencoder" && c.model != "conv4")
    fail("model", "--algo autoencoder is convolutional: conv4, got '" + c.model + "'");
  if (c.algo == "mae" && c.model != "vit") fail("model", "--algo mae is a vision transformer: vit, got '" + c.model + "'");
  if (c.model == "vit" || c.algo == "mae") {
    if (c.dim % c.heads != 0)
      fail("heads", std::to_string(c.heads) + " heads do not divide --dim " + std::to_string(c.dim));
    if (c.algo == "mae" && c.decoder_dim % c.heads != 0)
      fail("heads", std::to_string(c.heads) + " heads do not divide --decoder-dim " + std::to_string(c.decoder_dim));
  }
  if (c.weighting == "manual" && c.task_weights.empty())
    fail("task-weights", "required with --weighting manual (a file of 'TASK WEIGHT' lines)");
  if (!c.task_weights.empty() && c.weighting != "manual")
    fail("task-weights", "only with --weighting manual, got --weighting " + c.weighting);
  if (c.split_by != "class" && c.split_by != "example")
    fail("split-by", "class or example, got '" + c.split_by + "'");
  if (c.split_by == "example" && !is_unlabelled(c))
    fail("split-by", "example is for --algo vae, autoencoder or mae (multitask always splits by example), got '" + c.algo + "'");
  if (c.split_by == "example") data::parse_example_split(c.example_split);  // its own one-line error
  if (c.pseudo_tasks != "none" && c.pseudo_tasks != "augmentation" && c.pseudo_tasks != "cactus")
    fail("pseudo-tasks", "none, augmentation or cactus, got '" + c.pseudo_tasks + "'");
  if (c.pseudo_tasks == "cactus") {
    if (is_multitask(c) || is_unlabelled(c) || is_regression(c))
      fail("pseudo-tasks", "cactus makes episodes of images for a meta-learner, not for --algo " + c.algo +
                               (is_regression(c) ? " --model mlp" : ""));
    if (c.encoder.empty()) fail("encoder", "required with --pseudo-tasks cactus (a vae checkpoint)");
    if (c.clusters < c.ways)
      fail("clusters", std::to_string(c.clusters) + " pseudo-classes, fewer than --ways " + std::to_string(c.ways));
  }
  if (c.pseudo_tasks != "cactus" && !c.encoder.empty()) fail("encoder", "only with --pseudo-tasks cactus");
  if (c.likelihood != "bernoulli" && c.likelihood != "gaussian")
    fail("likelihood", "bernoulli or gaussian, got '" + c.likelihood + "'");
  if (c.mining != "none" && c.mining != "hardest" && c.mining != "semi-hard")
    fail("mining", "none, hardest or semi-hard, got '" + c.mining + "'");
  if (c.negatives != "local" && c.negatives != "global")
    fail("negatives", "local or global, got '" + c.negatives + "'");
  if (c.negatives == "global" && c.algo != "triplet" && c.algo != "nt_xent")
    fail("negatives", "global is for --algo triplet or nt_xent, got '" + c.algo + "'");
  if (c.algo == "moco" && c.momentum >= 1) fail("momentum", "must be below 1, got " + render(c.momentum));
  if (c.algo == "moco" && c.queue % (c.meta_batch * c.examples_per_task) != 0)
    fail("queue", std::to_string(c.queue) + " keys are not a multiple of the global batch, --meta-batch " +
                      std::to_string(c.meta_batch) + " x --examples-per-task " + std::to_string(c.examples_per_task) +
                      " = " + std::to_string(c.meta_batch * c.examples_per_task) + " keys per step");
  if (c.train_examples > 0 && !is_multitask(c))
    fail("train-examples", "for --algo multitask (labelled task mini-batches), got '" + c.algo + "'");
  if (c.head_first && c.unfreeze_every > 0)
    fail("head-first", "or --unfreeze-every, not both (two schedules of unfreezing)");
  if ((c.head_first || c.early_stop) && c.val_every == 0)
    fail(c.head_first ? "head-first" : "early-stop", "needs validation during the run: --val-every N > 0");
  if (is_augmentation_tasks(c)) {
    if (is_multitask(c) || is_unlabelled(c) || is_regression(c))
      fail("pseudo-tasks", "augmentation tasks are episodes of a --store's images, for an episodic --algo with --model conv4; got --algo " +
                               c.algo + " --model " + c.model);
    if (c.within_domain) fail("within-domain", "has no meaning with --pseudo-tasks augmentation (a class is one example)");
    if (c.rotations) fail("rotations", "has no meaning with --pseudo-tasks augmentation (a class is one example)");
  }
  try {
    data::AugmentSpec::parse(c.augment);
  } catch (const std::invalid_argument& e) {
    std::string why = e.what();
    if (why.starts_with("augment: ")) why.erase(0, 9);
    fail("augment", why);
  }
  if (c.augment != "default" && !is_augmentation_tasks(c) && !is_contrastive(c))
    fail("augment", "only with --pseudo-tasks augmentation or --algo triplet, nt_xent, moco");
  if (c.init_from.empty() && (c.init_params != "*" || !c.init_rename.empty()))
    fail(c.init_rename.empty() ? "init-params" : "init-rename", "only with --init-from");
}

learn::LearnerConfig learner_config(const TrainConfig& c, const data::ImageShape& image) {
  learn::LearnerConfig l;
  l.algorithm = c.algo;
  l.inner_lr = c.inner_lr;
  l.inner_steps = static_cast<int>(c.inner_steps);
  l.test_inner_steps = static_cast<int>(c.test_inner_steps);
  l.multi_step_loss = c.multi_step_loss;
  l.zero_head = c.zero_head;
  l.matching_scale = c.matching_scale;
  l.hidden = c.hidden;
  l.samples = static_cast<int>(c.samples);
  l.sample_seed = c.seed;
  l.beta = c.beta;
  l.memory = c.memory;
  l.meta_regularization = c.meta_reg == "weight_noise"  ? learn::MetaRegularization::weight_noise
                          : c.meta_reg == "information" ? learn::MetaRegularization::information
                                                        : learn::MetaRegularization::none;
  l.meta_reg_params = c.meta_reg_params == "body"   ? learn::MetaRegParams::body
                      : c.meta_reg_params == "head" ? learn::MetaRegParams::head
                                                    : learn::MetaRegParams::all;
  l.meta_reg_scale = c.meta_reg_scale;
  l.meta_reg_seed = c.seed;
  if (is_regression(c)) {
    l.model = std::make_shared<nn::MLP>(learn::SinusoidTasks::model());
    l.loss = learn::Loss::mse;
    l.ways = 1;
  } else {
    if (image.height != image.width)
      throw std::invalid_argument(c.model + " needs square images, the store has " +
                                  std::to_string(image.height) + "x" +
                                  std::to_string(image.width));
    if (c.model == "vit")
      l.model = std::make_shared<nn::Vit>(vit_spec(c, image.channels, image.height), c.ways);
    else
      l.model = std::make_shared<nn::Conv4>(c.filters, image.channels, image.height, c.ways);
    l.ways = c.ways;
  }
  return l;
}

data::EpisodeSpec episode_spec(const TrainConfig& c) {
  data::EpisodeSpec s;
  s.ways = static_cast<int>(c.ways);
  s.shots = static_cast<int>(c.shots);
  s.queries = static_cast<int>(c.queries);
  s.within_domain = c.within_domain;
  s.shuffle_labels = c.shuffle_labels;
  s.rotations = c.rotations;
  return s;
}

nn::VitSpec vit_spec(const TrainConfig& c, int64_t channels, int64_t side) {
  nn::VitSpec s;
  s.channels = channels;
  s.image = side;
  s.patch = c.patch;
  s.transformer = {c.dim, c.depth, c.heads, c.mlp_ratio};
  return s;
}

std::string model_description(const TrainConfig& c, const data::ImageShape& image) {
  if (is_regression(c)) return "mlp 1-40-40-1";
  if (c.model == "vit")
    return "vit patch=" + std::to_string(c.patch) + " dim=" + std::to_string(c.dim) + " depth=" +
           std::to_string(c.depth) + " heads=" + std::to_string(c.heads) + " mlp-ratio=" +
           std::to_string(c.mlp_ratio) + " channels=" + std::to_string(image.channels) + " image=" +
           std::to_string(image.height) + " ways=" + std::to_string(c.ways);
  return "conv4 filters=" + std::to_string(c.filters) + " channels=" +
         std::to_string(image.channels) + " image=" + std::to_string(image.height) +
         " ways=" + std::to_string(c.ways);
}

}  // namespace cz::train
