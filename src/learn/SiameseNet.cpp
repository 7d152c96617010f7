// Siamese networks: pair logits w.|f(x) - f(x')| + b, balanced binary cross-entropy, 1-NN at test.
#include "cezanne/learn/SiameseNet.hpp"

#include <algorithm>

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
  const int64_t tasks = z.size(0), q = z.size(1), n = z.size(2);
  // Targets (same label) and weights: per task, positives and negatives each weigh 1/2 in total
  // (all of it on the positives when a task has one label).
  Tensor target = Tensor::zeros({tasks, q, n}, DType::f64),
         weight = Tensor::zeros({tasks, q, n}, DType::f64);
  {
    const std::vector<int64_t> sl = batch.support_labels.to_i64_vector(),
                               ql = batch.query_labels.to_i64_vector();
    double* y = target.data<double>();
    double* w = weight.data<double>();
    for (int64_t t = 0; t < tasks; ++t) {
      int64_t positives = 0;
      for (int64_t i = 0; i < q; ++i)
        for (int64_t j = 0; j < n; ++j) {
          const bool same =
              ql[static_cast<size_t>(t * q + i)] == sl[static_cast<size_t>(t * n + j)];
          y[(t * q + i) * n + j] = same ? 1.0 : 0.0;
          positives += same;
        }
      const int64_t negatives = q * n - positives;
      const double wp =
          positives == 0 ? 0.0 : (negatives == 0 ? 1.0 : 0.5) / static_cast<double>(positives);
      const double wn =
          negatives == 0 ? 0.0 : (positives == 0 ? 1.0 : 0.5) / static_cast<double>(negatives);
      for (int64_t k = 0; k < q * n; ++k) w[t * q * n + k] = y[t * q * n + k] > 0 ? wp : wn;
    }
  }
  // Binary cross-entropy with logits, stably: max(z, 0) - z*y + log(1 + exp(-|z|)).
  const Var y(target.to(z.dtype())), w(weight.to(z.dtype()));
  const Var bce = relu(z) - z * y + log(1.0 + exp(-abs(z)));
  const Var losses = sum(bce * w, {1, 2});  // [T]
  if (out)
    *out = {detail::mean_value(losses.data()),
            detail::accuracy(nearest_neighbour(z.data(), batch.support_labels, config_.ways),
                             batch.query_labels)};
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
