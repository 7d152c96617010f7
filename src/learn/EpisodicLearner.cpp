// The learner factory, checkpoint compatibility, and the input checks every learner shares.
#include "cezanne/learn/EpisodicLearner.hpp"

#include "cezanne/learn/Algorithms.hpp"

#include <algorithm>
#include <stdexcept>

#include "LearnDetail.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/BlackBox.hpp"
#include "cezanne/learn/Maml.hpp"
#include "cezanne/learn/MatchingNet.hpp"
#include "cezanne/learn/ProtoNet.hpp"
#include "cezanne/learn/SiameseNet.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/nn/Vit.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::learn {

EpisodicLearner::EpisodicLearner(LearnerConfig config) : config_(std::move(config)) {
  const std::string& who = config_.algorithm;
  if (!config_.model) throw std::invalid_argument(who + ": no model given");
  if (config_.ways < 1)
    throw std::invalid_argument(who + ": ways must be >= 1, got " + std::to_string(config_.ways));
  if (config_.inner_steps < 1)
    throw std::invalid_argument(who + ": inner_steps must be >= 1, got " +
                                std::to_string(config_.inner_steps));
  if (config_.test_inner_steps < 0)
    throw std::invalid_argument(who + ": test_inner_steps must be >= 0, got " +
                                std::to_string(config_.test_inner_steps));
  if (!(config_.meta_reg_scale >= 0))
    throw std::invalid_argument(who + ": meta_reg_scale must be >= 0, got " +
                                std::to_string(config_.meta_reg_scale));
  if (config_.samples < 1)
    throw std::invalid_argument(who + ": samples must be >= 1, got " + std::to_string(config_.samples));
  if (!(config_.beta >= 0))
    throw std::invalid_argument(who + ": beta must be >= 0, got " + std::to_string(config_.beta));
  if (!(config_.inner_lr > 0))
    throw std::invalid_argument(who + ": inner_lr must be > 0, got " +
                                std::to_string(config_.inner_lr));
}

void check_loadable(const std::string& algorithm, const std::vector<nn::ParamSpec>& specs,
                    const std::string& into, const std::vector<nn::ParamSpec>& mine) {
  if (algorithm != into)
    throw std::invalid_argument("checkpoint of '" + algorithm + "' cannot be loaded into '" +
                                into + "'");
  if (specs.size() != mine.size())
    throw std::invalid_argument("checkpoint of '" + algorithm + "' has " +
                                std::to_string(specs.size()) + " parameters, this " + into +
                                " learner has " + std::to_string(mine.size()));
  for (size_t i = 0; i < mine.size(); ++i)
    if (specs[i].name != mine[i].name || specs[i].shape != mine[i].shape)
      throw std::invalid_argument("checkpoint of '" + algorithm + "': parameter " +
                                  std::to_string(i) + " is '" + specs[i].name + "' " +
                                  shape_str(specs[i].shape) + ", this learner expects '" +
                                  mine[i].name + "' " + shape_str(mine[i].shape));
}

Predictive EpisodicLearner::predict_distribution(const nn::ParamList& theta, const Tensor& support,
                                                 const Tensor& support_labels, const Tensor& query) const {
  Predictive p;
  const Tensor out = predict(theta, support, support_labels, query);
  if (config_.loss == Loss::mse) {
    p.mean = out;
    return p;
  }
  NoGradGuard no_grad;
  p.probabilities = softmax(Var(out), 1).data();
  return p;
}

Var EpisodicLearner::meta_loss(const nn::ParamList& theta, const data::EpisodeBatch& batch,
                               Metrics* out) const {
  return mean(task_losses(theta, batch, out));
}

void EpisodicLearner::check_checkpoint(const std::string& algorithm,
                                       const std::vector<nn::ParamSpec>& specs) const {
  check_loadable(algorithm, specs, name(), this->specs());
}

std::unique_ptr<EpisodicLearner> make_learner(const LearnerConfig& config) {
  const std::string& a = config.algorithm;
  const Algorithm* algorithm = find_algorithm(a);
  if (algorithm == nullptr || !algorithm->make)
    throw std::invalid_argument("make_learner: unknown algorithm '" + a + "' (known: " +
                                algorithm_names(Algorithm::Kind::episodic) + ")");
  if (config.zero_head && !algorithm->inner_loop)
    throw std::invalid_argument(a + ": zero_head (--zero-head) is for the learners with an inner loop: maml, fomaml, anil");
  if (config.memory && a != "mann")
    throw std::invalid_argument(a + ": memory (--memory) is for mann");
  return algorithm->make(config);
}

namespace detail {

namespace {

// The per-example input shape the model takes, when the model tells (Conv4, Vit, MLP).
bool model_input(const nn::Model& model, Shape& shape, std::string& model_name) {
  if (const auto* conv = dynamic_cast<const nn::Conv4*>(&model)) {
    shape = {conv->channels(), conv->image(), conv->image()};
    model_name = "Conv4";
    return true;
  }
  if (const auto* vit = dynamic_cast<const nn::Vit*>(&model)) {
    shape = {vit->spec().channels, vit->spec().image, vit->spec().image};
    model_name = "Vit";
    return true;
  }
  if (const auto* mlp = dynamic_cast<const nn::MLP*>(&model)) {
    shape = {mlp->sizes().front()};
    model_name = "MLP";
    return true;
  }
  return false;
}

}  // namespace

void check_set(const std::string& who, const LearnerConfig& config, const Tensor& x,
               const Tensor& labels, const char* what, int64_t tasks) {
  const std::string where = who + ": " + what;
  if (!x.defined() || !labels.defined()) throw std::invalid_argument(where + " set is missing");
  if (x.dim() < 3 || x.size(0) != tasks)
    throw std::invalid_argument(where + " " + shape_str(x.shape()) +
                                " must be [T = " + std::to_string(tasks) + ", N, ...]");
  const int64_t n = x.size(1);
  if (n < 1) throw std::invalid_argument(where + " set is empty");
  Shape expected;
  std::string model_name;
  const Shape example(x.shape().begin() + 2, x.shape().end());
  if (model_input(*config.model, expected, model_name) && example != expected)
    throw std::invalid_argument(where + " examples are " + shape_str(example) + " but the model (" +
                                model_name + ") takes " + shape_str(expected) +
                                ": the model does not fit the data");
  if (config.loss == Loss::cross_entropy) {
    if (labels.dtype() != DType::i64 || labels.shape() != Shape{tasks, n})
      throw std::invalid_argument(where + " labels must be i64 [" + std::to_string(tasks) + ", " +
                                  std::to_string(n) + "], got " + dtype_name(labels.dtype()) + " " +
                                  shape_str(labels.shape()));
    // The range on the host only: labels on a device came there from a host batch the task
    // sources built in range, and reading them back would make the host wait for the device
    // on every pass of a step (the CPU's and the checking device's gather still refuse a label
    // out of range).
    if (labels.device().is_cpu())
      for (int64_t l : labels.to_i64_vector())
        if (l < 0 || l >= config.ways)
          throw std::invalid_argument(where + " label " + std::to_string(l) + " is outside 0.." +
                                      std::to_string(config.ways - 1) + " (" +
                                      std::to_string(config.ways) + "-way learner)");
  } else {
    const Shape target{tasks, n, config.model->output_size()};
    if (labels.dtype() == DType::i64 || labels.shape() != target)
      throw std::invalid_argument(where + " targets must be floating [" + std::to_string(tasks) +
                                  ", " + std::to_string(n) + ", " + std::to_string(target[2]) +
                                  "], got " + dtype_name(labels.dtype()) + " " +
                                  shape_str(labels.shape()));
  }
}

void check_batch(const std::string& who, const LearnerConfig& config,
                 const data::EpisodeBatch& batch) {
  if (!batch.support.defined() || batch.support.dim() < 1)
    throw std::invalid_argument(who + ": the batch has no support set");
  const int64_t tasks = batch.support.size(0);
  if (tasks < 1) throw std::invalid_argument(who + ": the batch has no tasks");
  check_set(who, config, batch.support, batch.support_labels, "support", tasks);
  check_set(who, config, batch.query, batch.query_labels, "query", tasks);
}

// log(1 + exp(l)) without overflow, l + log(1 + exp(-l)) where l > 0: each branch sees 0 where
// the other is taken, so neither overflows, and the derivative is sigmoid(l) everywhere (the
// relu(l) + log(1 + exp(-|l|)) form gets 0 at l = 0, where a dead hidden layer puts the logits).
Var softplus(const Var& l) {
  const Tensor zeros = Tensor::zeros(l.shape(), l.dtype(), l.device());
  const Tensor positive = binary(BinaryOp::gt, l.data(), zeros);
  const Var above = where(positive, l, Var(zeros)), below = where(positive, Var(zeros), l);
  return where(positive, above + log(exp(-above) + 1.0), log(exp(below) + 1.0));
}

namespace {

double mean_of(const std::vector<double>& v) {
  double total = 0.0;
  for (const double x : v) total += x;
  return v.empty() ? 0.0 : total / static_cast<double>(v.size());
}

// [1] f64: how many rows' argmax over the last dim equals their label (rows and labels paired
// in row-major order); undefined when their counts differ or there are none (accuracy 0).
Tensor correct_count(const Tensor& logits, const Tensor& labels) {
  Tensor index;
  cz::max(logits, -1, false, &index);
  if (index.numel() != labels.numel() || labels.numel() == 0) return {};
  const Tensor predicted = index.reshape(labels.shape()).to(DType::f64);
  return sum(binary(BinaryOp::eq, predicted, labels.to(DType::f64)), {}).reshape({1});
}

}  // namespace

double mean_value(const Tensor& per_task) { return mean_of(per_task.to_vector()); }

double accuracy(const Tensor& logits, const Tensor& labels) {
  const Tensor correct = correct_count(logits, labels);
  return correct.defined() ? correct.item() / static_cast<double>(labels.numel()) : 0.0;
}

void classifier_metrics(const Tensor& per_task, const Tensor& logits, const Tensor& labels, Metrics& out) {
  const Tensor correct = correct_count(logits, labels);
  const Tensor losses = per_task.to(DType::f64).reshape({per_task.numel()});
  if (!correct.defined()) {
    out.loss = mean_value(losses);
    out.accuracy = 0.0;
    return;
  }
  out.pending = cz::cat({losses, correct}, 0);
  out.queries = labels.numel();
  if (!out.defer) read_deferred({&out});
}

void read_deferred(const std::vector<Metrics*>& metrics) {
  std::vector<Tensor> pending;
  for (const Metrics* m : metrics)
    if (m->pending.defined()) pending.push_back(m->pending);
  if (pending.empty()) return;
  const std::vector<double> v = cz::cat(pending, 0).to_vector();
  size_t at = 0;
  for (Metrics* m : metrics) {
    if (!m->pending.defined()) continue;
    const auto tasks = static_cast<size_t>(m->pending.numel() - 1);
    m->loss = mean_of(std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(at),
                                          v.begin() + static_cast<std::ptrdiff_t>(at + tasks)));
    m->accuracy = v[at + tasks] / static_cast<double>(m->queries);
    at += tasks + 1;
    m->pending = Tensor();
  }
}

Var query_cross_entropy(const Var& logits, const Tensor& labels, Metrics* out) {
  const Var losses = task_cross_entropy(logits, labels);
  if (out) classifier_metrics(losses.data(), logits.data(), labels, *out);
  return losses;
}

Tensor one_hot(const Tensor& labels, int64_t ways, DType dtype) {
  const Tensor classes = Tensor::arange(ways, DType::f64, labels.device());
  return binary(BinaryOp::eq, labels.to(DType::f64).unsqueeze(-1), classes).to(dtype);
}

nn::ParamList body_with_dummy_head(const nn::Model& model, const nn::ParamList& body,
                                   int64_t tasks) {
  const std::vector<nn::ParamSpec> specs = model.specs();
  const size_t head = model.head_begin();
  nn::ParamList p = tasks > 0 ? nn::expand_to_tasks(body, tasks) : body;
  const DType dtype = body.empty() ? DType::f32 : body[0].dtype();
  for (size_t i = head; i < specs.size(); ++i) {
    Shape shape = specs[i].shape;
    Tensor zero = Tensor::zeros({1}, dtype, body.empty() ? Device::cpu() : body[0].device());
    if (tasks > 0) shape.insert(shape.begin(), tasks);
    // A stride-0 view of one zero: no memory per element.
    Shape ones(shape.size(), 1);
    p.emplace_back(zero.view(ones).expand(shape));
  }
  return p;
}

void check_theta(const std::string& who, const std::vector<nn::ParamSpec>& specs,
                 const nn::ParamList& theta) {
  if (theta.size() != specs.size())
    throw std::invalid_argument(who + ": expected " + std::to_string(specs.size()) +
                                " parameters, got " + std::to_string(theta.size()));
  for (size_t i = 0; i < specs.size(); ++i)
    if (!theta[i].defined() || theta[i].shape() != specs[i].shape)
      throw std::invalid_argument(
          who + ": parameter '" + specs[i].name + "' has shape " +
          (theta[i].defined() ? shape_str(theta[i].shape()) : std::string("undefined")) +
          ", expected " + shape_str(specs[i].shape));
}

namespace {

bool meta_regularized(const LearnerConfig& config, size_t i) {
  const bool body = i < config.model->head_begin();
  return config.meta_reg_params == MetaRegParams::all ||
         body == (config.meta_reg_params == MetaRegParams::body);
}

}  // namespace

nn::ParamList perturb_theta(const LearnerConfig& config, const nn::ParamList& theta,
                            int64_t step) {
  if (config.meta_regularization != MetaRegularization::weight_noise ||
      config.meta_reg_scale == 0.0 || !grad_enabled())
    return theta;
  nn::ParamList out;
  out.reserve(theta.size());
  for (size_t i = 0; i < theta.size(); ++i) {
    if (!meta_regularized(config, i)) {
      out.push_back(theta[i]);
      continue;
    }
    const Tensor& t = theta[i].data();
    const uint64_t key =
        mix_key({config.meta_reg_seed, static_cast<uint64_t>(step), static_cast<uint64_t>(i)});
    out.push_back(theta[i] + Var(Tensor::normal(t.shape(), 0.0, config.meta_reg_scale, key, 0, t.dtype(), t.device())));
  }
  return out;
}

Var add_information_penalty(const LearnerConfig& config, const nn::ParamList& theta,
                            const Var& losses) {
  if (config.meta_regularization != MetaRegularization::information ||
      config.meta_reg_scale == 0.0)
    return losses;
  Var total = losses;
  for (size_t i = 0; i < theta.size(); ++i)
    if (meta_regularized(config, i))
      total = total + sum(theta[i] * theta[i]) * (0.5 * config.meta_reg_scale);
  return total;
}

}  // namespace detail
}  // namespace cz::learn

namespace cz::learn::detail {

std::pair<Var, Var> embed_sets(const nn::Model& model, const nn::ParamList& body,
                               const Tensor& support, const Tensor& query) {
  const int64_t tasks = support.size(0), n = support.size(1), q = query.size(1);
  const Tensor both = cz::cat({support, query}, 1);
  const Var e =
      model.embed_tasks(body_with_dummy_head(model, body, tasks), Var(both));  // [T, N+Q, D]
  return {slice(e, 1, 0, n), slice(e, 1, n, n + q)};
}

data::EpisodeBatch single_task(const LearnerConfig& config, const Tensor& support,
                               const Tensor& support_labels, const Tensor& query) {
  data::EpisodeBatch one;
  one.support = support.unsqueeze(0);
  one.support_labels = support_labels.unsqueeze(0);
  one.query = query.unsqueeze(0);
  one.query_labels = config.loss == Loss::cross_entropy
                         ? Tensor::zeros({1, query.size(0)}, DType::i64, query.device())
                         : Tensor::zeros({1, query.size(0), config.model->output_size()}, DType::f32, query.device());
  return one;
}

Tensor label_mask(const Tensor& support_labels, int64_t ways, DType dtype) {
  const Device device = support_labels.device();
  const Tensor own = one_hot(support_labels, ways, DType::f64).transpose(1, 2).unsqueeze(1);  // [T, 1, ways, n]
  return where(own, Tensor::zeros({}, DType::f64, device), Tensor::full({}, -1e30, DType::f64, device)).to(dtype);
}

std::vector<nn::ParamSpec> body_specs(const nn::Model& model) {
  std::vector<nn::ParamSpec> specs = model.specs();
  specs.resize(model.head_begin());
  return specs;
}

void require_classification(const LearnerConfig& config) {
  if (config.loss != Loss::cross_entropy)
    throw std::invalid_argument(
        config.algorithm + ": classification only (a metric learner has no regression output)");
}

void require_ways_within_head(const LearnerConfig& config) {
  if (config.ways > config.model->output_size())
    throw std::invalid_argument(config.algorithm + ": " + std::to_string(config.ways) +
                                " ways but the model's head has " +
                                std::to_string(config.model->output_size()) + " outputs");
}

}  // namespace cz::learn::detail
