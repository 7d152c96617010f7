// MANN (LSTM over the support sequence) and the set-encoder hypernetwork.
#include "cezanne/learn/BlackBox.hpp"

#include <stdexcept>

#include "LearnDetail.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/nn/LSTMCell.hpp"
#include "cezanne/nn/Linear.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {

namespace {

// The label width of a black-box learner is the model's head outputs, the ways it is built
// for: an episode of fewer ways uses the first labels and the first logits.
void require_black_box_classification(const LearnerConfig& config) {
  if (config.loss != Loss::cross_entropy)
    throw std::invalid_argument(config.algorithm +
                                ": classification only (a black-box learner outputs ways logits)");
  detail::require_ways_within_head(config);
}

// The first `ways` of the label width's logits.
Var first_ways(const Var& logits, int64_t ways) {
  return logits.size(-1) == ways ? logits : slice(logits, -1, 0, ways);
}

// The body's parameters theta[0, body) and the learner's own parameters theta[body, end).
nn::ParamList part(const nn::ParamList& theta, size_t begin, size_t end) {
  return nn::ParamList(theta.begin() + static_cast<std::ptrdiff_t>(begin),
                       theta.begin() + static_cast<std::ptrdiff_t>(end));
}

// The meta-loss of a black-box learner: weight noise on theta, query cross-entropy of
// `logits`, metrics, information penalty.
template <typename Logits>
Var black_box_loss(const EpisodicLearner& learner, const nn::ParamList& theta,
                   const data::EpisodeBatch& batch, Metrics* out, const Logits& logits) {
  detail::check_theta(learner.name(), learner.specs(), theta);
  detail::check_batch(learner.name(), learner.config(), batch);
  const nn::ParamList noisy = detail::perturb_theta(learner.config(), theta, batch.step);
  const Var loss = detail::query_cross_entropy(logits(noisy), batch.query_labels, out);
  return detail::add_information_penalty(learner.config(), theta, loss);
}

template <typename Logits>
Tensor black_box_predict(const EpisodicLearner& learner, const nn::ParamList& theta,
                         const Tensor& support, const Tensor& support_labels, const Tensor& query,
                         const Logits& logits) {
  detail::check_theta(learner.name(), learner.specs(), theta);
  const data::EpisodeBatch one =
      detail::single_task(learner.config(), support, support_labels, query);
  detail::check_batch(learner.name(), learner.config(), one);
  NoGradGuard no_grad;
  return logits(one).data().select(0, 0).contiguous();
}

}  // namespace

// ---- MANN

Mann::Mann(LearnerConfig config) : EpisodicLearner(std::move(config)) {
  config_.algorithm = name();
  require_black_box_classification(config_);
  if (config_.hidden < 1)
    throw std::invalid_argument("mann: hidden must be >= 1, got " +
                                std::to_string(config_.hidden));
}

std::vector<nn::ParamSpec> Mann::specs() const {
  std::vector<nn::ParamSpec> s = detail::body_specs(*config_.model);
  const int64_t d = config_.model->feature_size(), h = config_.hidden;
  const int64_t labels = config_.model->output_size();
  for (nn::ParamSpec& p : nn::lstm_cell_specs("lstm", d + labels, h)) s.push_back(p);
  for (nn::ParamSpec& p : nn::linear_specs("head", h, labels)) s.push_back(p);
  return s;
}

Var Mann::logits(const nn::ParamList& theta, const Tensor& support, const Tensor& support_labels,
                 const Tensor& query) const {
  const size_t body = config_.model->head_begin();
  const int64_t tasks = support.size(0), n = support.size(1), q = query.size(1);
  const int64_t ways = config_.model->output_size(), h = config_.hidden;
  const auto [s, e] = detail::embed_sets(*config_.model, part(theta, 0, body), support,
                                         query);  // [T, N, D], [T, Q, D]
  const int64_t d = s.size(2);
  const DType dtype = s.dtype();
  const Device device = s.data().device();
  // The LSTM's weights are shared by every task: each step is one GEMM over the T * B rows, and
  // its weight gradient one GEMM too (no per-task copies).
  const nn::ParamList lstm = part(theta, body, body + 3);
  auto on_device = [&](Tensor t) { return t.device() == device ? t : t.to(device); };
  const Tensor hot = on_device(detail::one_hot(support_labels, ways, dtype));  // [T, N, ways]
  const Var no_label(on_device(Tensor::zeros({tasks, 1, ways}, dtype)));
  nn::LSTMState state{Var(on_device(Tensor::zeros({tasks, 1, h}, dtype))),
                      Var(on_device(Tensor::zeros({tasks, 1, h}, dtype)))};
  auto step = [&](const Var& x) { state = nn::lstm_cell(x, state.h, state.c, lstm[0], lstm[1], lstm[2]); };
  // (e_t, y_{t-1}) for t < N, then (0, y_{N-1}).
  for (int64_t t = 0; t <= n; ++t) {
    const Var x = t < n ? slice(s, 1, t, t + 1) : Var(on_device(Tensor::zeros({tasks, 1, d}, dtype)));
    const Var y = t > 0 ? Var(hot.slice(1, t - 1, t)) : no_label;
    step(cat({x, y}, 2));  // [T, 1, D + ways]
  }
  // Every query one step from the support state, in parallel: [T, Q, H].
  state.h = expand(state.h, {tasks, q, h});
  state.c = expand(state.c, {tasks, q, h});
  step(cat({e, Var(on_device(Tensor::zeros({tasks, q, ways}, dtype)))}, 2));
  return first_ways(nn::linear(state.h, theta[body + 3], theta[body + 4]), config_.ways);
}

Var Mann::meta_loss(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                    Metrics* out) const {
  return black_box_loss(*this, theta, batch, out, [&](const nn::ParamList& p) {
    return logits(p, batch.support, batch.support_labels, batch.query);
  });
}

Tensor Mann::predict(const nn::ParamList& theta, const Tensor& support,
                     const Tensor& support_labels, const Tensor& query) const {
  return black_box_predict(*this, theta, support, support_labels, query,
                           [&](const data::EpisodeBatch& one) {
                             return logits(theta, one.support, one.support_labels, one.query);
                           });
}

// ---- set encoder

SetEncoder::SetEncoder(LearnerConfig config) : EpisodicLearner(std::move(config)) {
  config_.algorithm = name();
  require_black_box_classification(config_);
}

std::vector<nn::ParamSpec> SetEncoder::specs() const {
  std::vector<nn::ParamSpec> s = detail::body_specs(*config_.model);
  const int64_t d = config_.model->feature_size();
  const int64_t labels = config_.model->output_size();
  for (nn::ParamSpec& p : nn::linear_specs("encoder", d + labels, d + 1)) s.push_back(p);
  return s;
}

Var SetEncoder::logits(const nn::ParamList& theta, const Tensor& support,
                       const Tensor& support_labels, const Tensor& query) const {
  const size_t body = config_.model->head_begin();
  const auto [s, e] = detail::embed_sets(*config_.model, part(theta, 0, body), support,
                                         query);  // [T, N, D], [T, Q, D]
  const int64_t d = s.size(2);
  const Device device = s.data().device();
  Tensor hot = detail::one_hot(support_labels, config_.model->output_size(), s.dtype());
  if (hot.device() != device) hot = hot.to(device);
  // Per-class means of [e_i ; onehot(y_i)]: ([T, ways, N] one-hot / count) @ [T, N, D + ways].
  const Tensor by_class = hot.transpose(1, 2);
  const Tensor count = cz::clamp(cz::sum(by_class, {2}, true), 1.0, 1e300);
  const Var pairs = cat({s, Var(hot)}, 2);
  const Var summary = matmul(Var(binary(BinaryOp::div, by_class, count)), pairs);
  const Var rows = nn::linear(summary, theta[body], theta[body + 1]);  // [T, ways, D + 1]
  const Var w = slice(rows, 2, 0, d);                                 // [T, ways, D]
  const Var b = transpose(slice(rows, 2, d, d + 1), 1, 2);            // [T, 1, ways]
  return first_ways(matmul(e, transpose(w, 1, 2)) + b, config_.ways);  // [T, Q, ways]
}

Var SetEncoder::meta_loss(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                          Metrics* out) const {
  return black_box_loss(*this, theta, batch, out, [&](const nn::ParamList& p) {
    return logits(p, batch.support, batch.support_labels, batch.query);
  });
}

Tensor SetEncoder::predict(const nn::ParamList& theta, const Tensor& support,
                           const Tensor& support_labels, const Tensor& query) const {
  return black_box_predict(*this, theta, support, support_labels, query,
                           [&](const data::EpisodeBatch& one) {
                             return logits(theta, one.support, one.support_labels, one.query);
                           });
}

}  // namespace cz::learn
