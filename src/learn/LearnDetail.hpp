// Internal helpers shared by the learners: input checks, label encodings, accuracy.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cezanne/autograd/Var.hpp"
#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn::detail {

/// Checks one set of a batch: x [T, N, ...] fits the model's input, labels [T, N] (i64 in
/// [0, ways)) or targets [T, N, out] for regression. `what` is "support" or "query".
/// Throws std::invalid_argument starting with "<who>: ".
void check_set(const std::string& who, const LearnerConfig& config, const Tensor& x,
               const Tensor& labels, const char* what, int64_t tasks);

/// Checks both sets of a batch (same T on every tensor).
void check_batch(const std::string& who, const LearnerConfig& config,
                 const data::EpisodeBatch& batch);

/// The mean of a [T] tensor of per-task values (the Metrics of a batch).
double mean_value(const Tensor& per_task);

/// log(1 + e^x) without overflow, whose derivative is sigmoid(x) everywhere, x = 0 included
/// (where a dead hidden layer puts an output layer's values).
Var softplus(const Var& x);

/// Fraction of rows whose argmax over the last dim equals the label: logits [..., C], labels [...].
/// The rows are compared where they live: one scalar comes back to the host.
double accuracy(const Tensor& logits, const Tensor& labels);

/// A classifier's Metrics into `out`: the mean of the per-task losses [T] and the accuracy of
/// `logits`, brought to the host together by one copy (on a GPU, one wait for the device, not
/// three) — or, when out.defer, left on the device in out.pending for read_deferred.
void classifier_metrics(const Tensor& per_task, const Tensor& logits, const Tensor& labels, Metrics& out);

/// Fills loss and accuracy of every Metrics left pending (Metrics::defer) with one copy of all
/// their values to the host; the others stay as they are.
void read_deferred(const std::vector<Metrics*>& metrics);

/// A classifier's per-task query losses [T]: cross-entropy of each task's logits [T, Q, ways]
/// against its query labels, with the mean loss and accuracy written to `out` when given.
Var query_cross_entropy(const Var& logits, const Tensor& labels, Metrics* out);

/// One-hot encoding as a constant: labels i64 [T, N] -> [T, N, ways] in `dtype`.
Tensor one_hot(const Tensor& labels, int64_t ways, DType dtype);

/// For a metric learner: theta (the body's parameters, [0, head_begin())) followed by zero
/// constants in place of the head's, each expanded to a leading task axis of `tasks` (0: none),
/// so the model's embed / embed_tasks accept the list. The head is never read by embed.
nn::ParamList body_with_dummy_head(const nn::Model& model, const nn::ParamList& body,
                                   int64_t tasks);

/// "<who>: expected N parameters, got M" / shape mismatch against `specs`.
void check_theta(const std::string& who, const std::vector<nn::ParamSpec>& specs,
                 const nn::ParamList& theta);

}  // namespace cz::learn::detail

namespace cz::learn::detail {

/// A metric learner's embeddings of support [T, N, ...] and query [T, Q, ...]: both sets of a
/// task go through the body as one batch (batch norm sees the whole task), -> [T, N, D] and
/// [T, Q, D]. `body` is the body's parameters [0, head_begin()).
std::pair<Var, Var> embed_sets(const nn::Model& model, const nn::ParamList& body,
                               const Tensor& support, const Tensor& query);

/// Batch of one task from (support [N, ...], labels, query [Q, ...]) for predict(); the query
/// labels are zeros of the right shape (only their shape is checked).
data::EpisodeBatch single_task(const LearnerConfig& config, const Tensor& support,
                               const Tensor& support_labels, const Tensor& query);

/// Per label c, an additive mask [T, 1, ways, N] that is 0 on label c's support examples and
/// a large negative number elsewhere: reducing scores [T, Q, 1, N] + mask over the last dim
/// (max, logsumexp) gives a per-label reduction over that label's examples only.
Tensor label_mask(const Tensor& support_labels, int64_t ways, DType dtype);

/// The specs of the model's body, parameters [0, head_begin()).
std::vector<nn::ParamSpec> body_specs(const nn::Model& model);

/// Meta-regularization, weight_noise: theta + N(0, meta_reg_scale^2) noise on the parameters
/// meta_reg_params selects, parameter i keyed by mix_key({meta_reg_seed, step, i})
/// (differentiable: the noise is a constant). Returns theta itself for other settings, a zero
/// scale, or with grad mode off.
nn::ParamList perturb_theta(const LearnerConfig& config, const nn::ParamList& theta,
                            int64_t step);

/// Meta-regularization, information: each task's loss + meta_reg_scale * sum_i ||theta_i||^2 / 2
/// over the parameters meta_reg_params selects (the KL to a Gaussian prior up to a constant), so
/// the meta-loss, their mean, carries the penalty once; `losses` [T] itself for other settings.
Var add_information_penalty(const LearnerConfig& config, const nn::ParamList& theta,
                            const Var& losses);

/// Metric learners are classifiers: throws "<who>: classification only" for regression.
void require_classification(const LearnerConfig& config);

/// The MAML family's head and the black-box learners' label width are the model's outputs:
/// throws "<algorithm>: 20 ways but the model's head has 5 outputs" for more ways than that.
void require_ways_within_head(const LearnerConfig& config);

}  // namespace cz::learn::detail
