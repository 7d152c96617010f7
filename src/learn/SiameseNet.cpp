// Siamese networks: pair logits w.|f(x) - f(x')| + b, balanced binary cross-entropy, 1-NN at test.
#include "cezanne/learn/SiameseNet.hpp"


#include "LearnDetail.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/nn/Linear.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {

namespace {

// Nearest neighbour under the pair logits: each label's best logit, [T, Q, ways].
Tensor nearest_neighbour(const Tensor& pair_logits, const Tensor& support_labels, int64_t ways) {
  const Tensor scores = pair_logits.unsqueeze(2);  // [T, Q, 1, N]
  const Tensor masked =
      binary(BinaryOp::add, scores, detail::label_mask(support_labels, ways, scores.dtype()));
  return cz::max(masked, -1, false, nullptr);
}

}  // namespace

SiameseNet::SiameseNet(LearnerConfig config) : EpisodicLearner(std::move(config)) {
  config_.algorithm = name();
  detail::require_classification(config_);
}

std::vector<nn::ParamSpec> SiameseNet::specs() const {
  std::vector<nn::ParamSpec> specs = detail::body_specs(*config_.model);
  specs.push_back(
      {"siamese.weight", {1, config_.model->feature_size()}, {nn::Init::kaiming_uniform, 1.0}});
  specs.push_back({"siamese.bias", {1}, {nn::Init::zeros}});
  return specs;
}

Var SiameseNet::pair_logits(const nn::ParamList& theta, const Tensor& support,
                            const Tensor& query) const {
  const size_t body = theta.size() - 2;
  const nn::ParamList body_params(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(body));
  const auto [s, q] =
      detail::embed_sets(*config_.model, body_params, support, query);     // [T, N, D], [T, Q, D]
  const Var distance = abs(unsqueeze(q, 2) - unsqueeze(s, 1));             // [T, Q, N, D]
  return squeeze(nn::linear(distance, theta[body], theta[body + 1]), -1);  // [T, Q, N]
}

Var SiameseNet::task_losses(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                            Metrics* out) const {
  detail::check_theta(name(), specs(), theta);
  detail::check_batch(name(), config_, batch);
  const Var z = pair_logits(theta, batch.support, batch.query);  // [T, Q, N]
  const int64_t q = z.size(1), n = z.size(2);
  // Targets (same label) and weights: per task, positives and negatives each weigh 1/2 in total
  // (all of it on the positives when a task has one label).
  const Device device = z.device();
  auto constant = [&](double v) { return Tensor::full({}, v, DType::f64, device); };
  const Tensor target = binary(BinaryOp::eq, batch.query_labels.to(DType::f64).unsqueeze(2),
                               batch.support_labels.to(DType::f64).unsqueeze(1));  // [T, Q, N]
  const Tensor positives = sum(target, {1, 2}, true);                              // [T, 1, 1]
  const Tensor negatives = affine(positives, -1.0, static_cast<double>(q * n));
  // One side's weight per pair: its share (1 when the other side is empty, else 1/2) over its count.
  auto per_pair = [&](const Tensor& count, const Tensor& other) {
    const Tensor share = where(binary(BinaryOp::eq, other, constant(0)), constant(1), constant(0.5));
    return where(binary(BinaryOp::eq, count, constant(0)), constant(0), binary(BinaryOp::div, share, count));
  };
  const Tensor weight = where(target, per_pair(positives, negatives), per_pair(negatives, positives));
  // Binary cross-entropy with logits, stably: max(z, 0) - z*y + log(1 + exp(-|z|)).
  const Var y(target.to(z.dtype())), w(weight.to(z.dtype()));
  const Var bce = relu(z) - z * y + log(1.0 + exp(-abs(z)));
  const Var losses = sum(bce * w, {1, 2});  // [T]
  if (out)
    detail::classifier_metrics(losses.data(), nearest_neighbour(z.data(), batch.support_labels, config_.ways),
                               batch.query_labels, *out);
  return losses;
}

Tensor SiameseNet::predict(const nn::ParamList& theta, const Tensor& support,
                           const Tensor& support_labels, const Tensor& query) const {
  detail::check_theta(name(), specs(), theta);
  const data::EpisodeBatch one = detail::single_task(config_, support, support_labels, query);
  detail::check_batch(name(), config_, one);
  NoGradGuard no_grad;
  const Tensor z = pair_logits(theta, one.support, one.query).data();
  return nearest_neighbour(z, one.support_labels, config_.ways).select(0, 0).contiguous();
}

}  // namespace cz::learn
