// EpisodicLearner: the one interface of few-shot learners (meta-loss, adaptation, prediction).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cezanne/autograd/Var.hpp"
#include "cezanne/data/Episode.hpp"
#include "cezanne/nn/Model.hpp"
#include "cezanne/nn/ParamSpec.hpp"

namespace cz::learn {

/// What one task_losses call measured on the query sets (means over the batch's tasks): the
/// query loss after the last inner step, without a meta-regularization penalty, and the accuracy.
struct Metrics {
  double loss = 0.0;
  /// Fraction of query examples classified correctly; 0 for regression.
  double accuracy = 0.0;
  /// Set by a caller that reads the metrics later (backward_meta_loss, which reads all the passes
  /// of a step back at once, after their backward): a classifier then leaves them on its device
  /// in `pending` ([T] per-task losses, then the number of correct queries; f64) and `queries`,
  /// instead of making the host wait for the device now. Others fill loss and accuracy as usual.
  bool defer = false;
  Tensor pending;
  int64_t queries = 0;
};

/// The loss of a task: classification (labels i64 [.., N], logits) or regression
/// (targets f32/f64 [.., N, out], mean squared error).
enum class Loss : uint8_t { cross_entropy, mse };

/// Meta-regularization against memorization (Yin et al. 2020), MAML family and black-box
/// learners: weight_noise perturbs theta by N(0, meta_reg_scale^2) before adaptation;
/// information adds meta_reg_scale * sum ||theta||^2 / 2 to the meta-loss.
enum class MetaRegularization : uint8_t { none, weight_noise, information };

/// Which meta-parameters the meta-regularizer acts on: all of theta, the model's body
/// (theta[0, head_begin())) or the rest (the MAML family's head, a black-box learner's own
/// parameters). Regularizing the head, which the inner loop adapts, leaves the body free to
/// learn features while the pre-update predictions can no longer hold class->label pairs.
enum class MetaRegParams : uint8_t { all, body, head };

/// Everything make_learner needs. Fields an algorithm does not use are ignored.
struct LearnerConfig {
  /// maml, fomaml, anil, protonet, matching, siamese, mann, set_encoder, pretrain,
  /// neural_process, versa.
  std::string algorithm = "maml";
  /// The network: the whole classifier/regressor for the MAML family, the embedding (its
  /// body, parameters [0, head_begin())) for the metric learners.
  std::shared_ptr<const nn::Model> model;
  /// Classes per episode (labels 0..ways-1). MAML family: at most the head's outputs.
  int64_t ways = 5;
  Loss loss = Loss::cross_entropy;
  /// MAML family: step size and number of inner SGD steps during meta-training.
  double inner_lr = 0.4;
  int inner_steps = 1;
  /// Inner steps at test time (predict, evaluation); 0 means inner_steps.
  int test_inner_steps = 0;
  /// maml only: drop the second-order term (fomaml sets it).
  bool first_order = false;
  /// MAML family: the meta-loss is the mean of the query losses after every inner step
  /// (MAML++'s multi-step loss) instead of after the last one only.
  bool multi_step_loss = false;
  /// MAML family: every inner loop starts the head at zero (the zeroing trick, Kao et al.
  /// 2022) instead of at its meta-learned value; the head is then not meta-learned, and after
  /// one inner step its row for class c is proportional to the class's mean support feature
  /// less the mean over classes.
  bool zero_head = false;
  /// matching: attention = softmax(scale * cosine similarity) over the support set.
  double matching_scale = 10.0;
  /// mann: hidden size of the LSTM; neural_process: width of its encoders, decoder and latent z.
  int64_t hidden = 128;
  /// mann: give the LSTM controller an external memory (Santoro et al. 2016): content-based
  /// reads, least-recently-used writes (see Mann).
  bool memory = false;
  /// MAML family, mann, set_encoder: see MetaRegularization. weight_noise draws the noise of
  /// parameter i from Tensor::normal(shape, 0, meta_reg_scale, mix_key({meta_reg_seed,
  /// batch.step, i})), so task_losses stays a pure function of (theta, batch, config): the trainer
  /// passes the step through EpisodeBatch::step (EpisodeSampler sets it). The noise is drawn
  /// only while grad mode is on (meta-training); with grad off (validation) theta is used as is.
  MetaRegularization meta_regularization = MetaRegularization::none;
  MetaRegParams meta_reg_params = MetaRegParams::all;
  double meta_reg_scale = 0.0;
  uint64_t meta_reg_seed = 0;
  /// neural_process, versa: samples of the task latent (z, or the classifier head) per task,
  /// in the ELBO while meta-training, and in the neural process's predictive distribution at
  /// test (versa's prediction averages over its heads exactly). Training noise of row t is keyed
  /// mix_key({sample_seed, batch.step, task index of row t}); predictions use one fixed key
  /// (kPredictionStream), so they are deterministic for a seed.
  int samples = 10;
  uint64_t sample_seed = 0;
  /// versa: the weight β of the KL term in the training loss (1: the ELBO of the notes).
  double beta = 1.0;
};

/// A predictive distribution over one task's query points: class probabilities [Q, ways] for a
/// classifier; mean [Q, out] and, where the learner has one, variance [Q, out] for a regressor
/// (a point estimate, e.g. MAML's, leaves variance undefined: no NLL or interval then).
struct Predictive {
  Tensor probabilities;
  Tensor mean;
  Tensor variance;
};

/// A few-shot learning algorithm, a pure function of explicit parameters theta (design §2):
/// it holds only its configuration, never parameter values, so one object serves every rank
/// and thread. Parameters are in the order of specs().
class EpisodicLearner {
 public:
  virtual ~EpisodicLearner() = default;

  /// The algorithm's name as make_learner takes it ("maml", "protonet", ...).
  virtual std::string name() const = 0;
  /// The meta-parameters theta.
  virtual std::vector<nn::ParamSpec> specs() const = 0;

  /// The per-task losses of the general loop (design §2) [T]: row t is task t's objective, its
  /// query loss after adapting to its own support set (with MAML++'s multi-step loss, the mean
  /// over the inner steps; with the information meta-regularizer, plus the penalty), with
  /// history, so that grad(sum, theta) is the sum of the tasks' meta-gradients. All tasks go
  /// through the task axis at once, and row t depends on task t's episode only. `out`, when
  /// given, receives the means over tasks of the query loss and accuracy.
  /// Throws std::invalid_argument when the batch does not fit the model (image size, labels
  /// outside 0..ways-1, inconsistent task counts).
  virtual Var task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                          Metrics* out = nullptr) const = 0;

  /// The meta-loss: the mean of task_losses over the batch's tasks.
  Var meta_loss(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                Metrics* out = nullptr) const;

  /// One task, at test time: adapts to (support [N, ...], support_labels [N] or targets
  /// [N, out]) and returns the query outputs without history: logits [Q, ways] (classifiers)
  /// or predictions [Q, out] (regression). theta is not modified and keeps no graph.
  virtual Tensor predict(const nn::ParamList& theta, const Tensor& support,
                         const Tensor& support_labels, const Tensor& query) const = 0;

  /// The predictive distribution of predict()'s query points, without history. The default:
  /// softmax of predict()'s logits (classifiers), or predict() as the mean without a variance
  /// (regressors). The amortized learners return the average over `samples` sampled latents.
  virtual Predictive predict_distribution(const nn::ParamList& theta, const Tensor& support,
                                          const Tensor& support_labels, const Tensor& query) const;

  const LearnerConfig& config() const { return config_; }
  const nn::Model& model() const { return *config_.model; }
  /// Inner steps predict() uses (test_inner_steps, or inner_steps when that is 0).
  int test_steps() const {
    return config_.test_inner_steps > 0 ? config_.test_inner_steps : config_.inner_steps;
  }

  /// Checks that a checkpoint written by algorithm `algorithm` with parameters `specs` (names
  /// and shapes; initializers are ignored) can be loaded into this learner. Throws
  /// std::invalid_argument "checkpoint of 'protonet' cannot be loaded into 'maml'" on another
  /// algorithm, or naming the first parameter whose name or shape differs.
  void check_checkpoint(const std::string& algorithm,
                        const std::vector<nn::ParamSpec>& specs) const;

 protected:
  explicit EpisodicLearner(LearnerConfig config);
  LearnerConfig config_;
};

/// Checks that parameters `specs` written by algorithm `algorithm` (names and shapes) load into
/// algorithm `into` whose parameters are `mine`: the message of check_checkpoint otherwise.
void check_loadable(const std::string& algorithm, const std::vector<nn::ParamSpec>& specs,
                    const std::string& into, const std::vector<nn::ParamSpec>& mine);

/// The learner called config.algorithm, made by its entry of learn::algorithms(). Throws std::invalid_argument on an unknown name (the
/// message lists the known ones), a missing model, ways < 1, ways above the head's outputs
/// (MAML family), inner_steps < 1, test_inner_steps < 0, inner_lr <= 0, meta_reg_scale < 0,
/// regression with a metric or black-box learner, hidden < 1 (mann), zero_head without an inner
/// loop, memory for another learner than mann, samples < 1.
std::unique_ptr<EpisodicLearner> make_learner(const LearnerConfig& config);

}  // namespace cz::learn
