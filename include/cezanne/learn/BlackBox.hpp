// Black-box meta-learners: a network reads the support set and produces the task's predictor.
// Their label width W is the model's head outputs (the ways the model is built for); an episode
// of fewer ways (config.ways <= W) uses labels 0..ways-1 and gets the first `ways` logits, so a
// 20-way model answers 5-way episodes too. More ways than W is an error at construction.
#pragma once

#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn {

/// MANN-style learner (Santoro et al. 2016): an LSTM reads the task as a sequence. theta is the
/// embedding (the model's body, parameters [0, head_begin())), then "lstm.w_ih" [4H, D + W],
/// "lstm.w_hh" [4H, H], "lstm.bias" [4H] (H = config.hidden) and "head.weight" [W, H],
/// "head.bias" [W]. With e_i the embeddings (support and query of a task embedded as one
/// batch) and y_i the one-hot support labels, the input sequence is
///   (e_0, 0), (e_1, y_0), ..., (e_{N-1}, y_{N-2}), (0, y_{N-1})
/// (each label one step after its example, the last one with a zero embedding so it is read
/// too), from a zero state; then every query example takes one step (e_q, 0) from the state
/// after the support sequence — the queries branch off in parallel (state [T, Q, H]), so a
/// query's logits do not depend on the other queries or their order. logits = head(h_q).
/// All tasks of a rank run on the task axis at once (state [T, B, H]).
/// With config.memory the LSTM is the controller of an external memory (Santoro et al. 2016):
/// theta gains "key.weight" [H, H], "key.bias" [H], "memory.write_gate" [1] (0) and
/// "memory.read_scale" [1] (kReadScale) after the LSTM, and the head reads [h ; r], so
/// "head.weight" is [W, 2H]. The memory has one row of H per support step (N + 1), starts empty,
/// and each support step writes the controller's key k = tanh(key(h)) with least-recently-used
/// access and reads it back by cosine similarity; a query reads r with its own key, without
/// writing. The rows are per episode, so the memory holds any number of examples.
class Mann final : public EpisodicLearner {
 public:
  explicit Mann(LearnerConfig config);

  /// The initial sharpness of the memory's cosine attention.
  static constexpr double kReadScale = 10.0;

  std::string name() const override { return "mann"; }
  std::vector<nn::ParamSpec> specs() const override;
  Var task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                  Metrics* out = nullptr) const override;
  Tensor predict(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                 const Tensor& query) const override;

  /// Query logits [T, Q, ways] for support [T, N, ...] with labels [T, N], with history.
  Var logits(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
             const Tensor& query) const;
};

/// Set-encoder hypernetwork (phi = g_theta(D_train)). theta is the embedding (the model's body),
/// then "encoder.weight" [D + 1, D + W] and "encoder.bias" [D + 1]. Per class c, the support
/// examples of label c are summarized by the mean of [e_i ; onehot(y_i)] (= [mean_c ; onehot(c)];
/// an absent label gives zeros), and the encoder maps it to row c of the task's classifier:
///   [W_phi[c] ; b_phi[c]] = encoder.weight @ [mean_c ; onehot(c)] + encoder.bias,
/// so W_phi [W, D], b_phi [W]; logits = e_query @ W_phi^T + b_phi (the first `ways` of them).
class SetEncoder final : public EpisodicLearner {
 public:
  explicit SetEncoder(LearnerConfig config);

  std::string name() const override { return "set_encoder"; }
  std::vector<nn::ParamSpec> specs() const override;
  Var task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                  Metrics* out = nullptr) const override;
  Tensor predict(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                 const Tensor& query) const override;

  /// Query logits [T, Q, ways] for support [T, N, ...] with labels [T, N], with history.
  Var logits(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
             const Tensor& query) const;
};

}  // namespace cz::learn
