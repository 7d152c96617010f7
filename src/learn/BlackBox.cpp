// MANN (LSTM over the support sequence) and the set-encoder hypernetwork.
#include "cezanne/learn/BlackBox.hpp"

#include <algorithm>
#include <optional>
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
  const Var losses = detail::query_cross_entropy(logits(noisy), batch.query_labels, out);
  return detail::add_information_penalty(learner.config(), theta, losses);
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

// The external memory of a MANN (Santoro et al. 2016, least-recently-used access): S rows of
// H per task, one read head. Each support step the controller's key k = tanh(key(h)) is written
// to w_write = sigmoid(write_gate) * (the previous step's read weights) + (1 - sigmoid) * (the
// least-used row, cleared first), then read back: w_read = softmax(read_scale * cos(k, rows)).
// Usage decays by 0.95 per step and adds both weights; the least-used row is its argmin (a
// choice, not differentiated). A query reads with its own key and does not write.
class LruMemory {
 public:
  LruMemory(const nn::ParamList& p, int64_t tasks, int64_t slots, int64_t width, DType dtype, Device device)
      : key_weight_(p[0]), key_bias_(p[1]), write_gate_(p[2]), read_scale_(p[3]), slots_(slots),
        rows_(Tensor::zeros({tasks, slots, width}, dtype, device)),
        read_(Tensor::zeros({tasks, 1, slots}, dtype, device)),
        usage_(Tensor::zeros({tasks, 1, slots}, DType::f64, device)) {}

  // One support step of the controller's output h [T, 1, H].
  void write_and_read(const Var& h) {
    const Var k = key(h);
    const Var gate = sigmoid(write_gate_);
    const Tensor least_used = least_used_rows();
    const Var write = gate * read_ + (1.0 - gate) * Var(least_used);  // [T, 1, S]
    const Tensor keep = affine(least_used.transpose(1, 2), -1.0, 1.0);  // [T, S, 1]
    rows_ = rows_ * Var(keep) + matmul(transpose(write, 1, 2), k);     // [T, S, H]
    read_ = attend(k);
    const Tensor used = binary(BinaryOp::add, read_.data(), write.data()).to(DType::f64);
    usage_ = binary(BinaryOp::add, affine(usage_, 0.95, 0.0), used);
  }

  // What queries h [T, Q, H] read: [T, Q, H].
  Var read(const Var& h) const { return matmul(attend(key(h)), rows_); }

 private:
  Var key(const Var& h) const { return tanh(nn::linear(h, key_weight_, key_bias_)); }
  // softmax over the rows of read_scale * cosine similarity: [T, B, S].
  Var attend(const Var& k) const {
    const Var similarity = matmul(l2_normalize(k, -1), transpose(l2_normalize(rows_, -1, kRowEps), 1, 2));
    return softmax(read_scale_ * similarity, -1);
  }
  // One-hot of each task's least-used row [T, 1, S] (the first one on ties: row 0 before any
  // write), in the rows' dtype and device.
  Tensor least_used_rows() const {
    Tensor least;  // the first maximum of -usage: the first least-used row
    cz::max(affine(usage_, -1.0, 0.0), -1, true, &least);
    const Tensor rows = Tensor::arange(slots_, DType::f64, usage_.device());
    return binary(BinaryOp::eq, least.to(DType::f64), rows).to(rows_.dtype());
  }

  // A cleared row has norm 0; this bounds the cosine's derivative there.
  static constexpr double kRowEps = 1e-2;
  Var key_weight_, key_bias_, write_gate_, read_scale_;
  int64_t slots_;
  Var rows_, read_;
  Tensor usage_;  // f64: it only chooses the least-used row
};

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
  if (config_.memory) {
    for (nn::ParamSpec& p : nn::linear_specs("key", h, h)) s.push_back(p);
    s.push_back({"memory.write_gate", {1}, {nn::Init::zeros}});
    s.push_back({"memory.read_scale", {1}, {nn::Init::constant, kReadScale}});
  }
  for (nn::ParamSpec& p : nn::linear_specs("head", config_.memory ? 2 * h : h, labels)) s.push_back(p);
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
  const Tensor hot = detail::one_hot(support_labels, ways, dtype);  // [T, N, ways]
  const Var no_label(Tensor::zeros({tasks, 1, ways}, dtype, device));
  nn::LSTMState state{Var(Tensor::zeros({tasks, 1, h}, dtype, device)), Var(Tensor::zeros({tasks, 1, h}, dtype, device))};
  auto step = [&](const Var& x) { state = nn::lstm_cell(x, state.h, state.c, lstm[0], lstm[1], lstm[2]); };
  std::optional<LruMemory> memory;
  if (config_.memory) memory.emplace(part(theta, body + 3, body + 7), tasks, n + 1, h, dtype, device);
  // (e_t, y_{t-1}) for t < N, then (0, y_{N-1}).
  for (int64_t t = 0; t <= n; ++t) {
    const Var x = t < n ? slice(s, 1, t, t + 1) : Var(Tensor::zeros({tasks, 1, d}, dtype, device));
    const Var y = t > 0 ? Var(hot.slice(1, t - 1, t)) : no_label;
    step(cat({x, y}, 2));  // [T, 1, D + ways]
    if (memory) memory->write_and_read(state.h);
  }
  // Every query one step from the support state, in parallel: [T, Q, H].
  state.h = expand(state.h, {tasks, q, h});
  state.c = expand(state.c, {tasks, q, h});
  step(cat({e, Var(Tensor::zeros({tasks, q, ways}, dtype, device))}, 2));
  const size_t head = theta.size() - 2;
  const Var out = memory ? cat({state.h, memory->read(state.h)}, 2) : state.h;
  return first_ways(nn::linear(out, theta[head], theta[head + 1]), config_.ways);
}

Var Mann::task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
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
  const Tensor hot = detail::one_hot(support_labels, config_.model->output_size(), s.dtype());
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

Var SetEncoder::task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
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
