// Per-task losses of multi-task learning: masked logits, per-row cross-entropy, per-row accuracy.
#include "cezanne/learn/MultiTaskObjective.hpp"

#include <stdexcept>
#include <string>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {
namespace {

// Added to the logits of classes a task does not have: exp() of it underflows to 0 in f32 and
// f64, so softmax and argmax ignore them, while the sum stays finite.
constexpr double kMasked = -1e9;

}  // namespace

MultiTaskObjective::MultiTaskObjective(nn::TaskNetSpec net, std::vector<int64_t> classes,
                                       bool log_variances)
    : net_(net), classes_(std::move(classes)), log_variances_(log_variances) {
  if (static_cast<int64_t>(classes_.size()) != net.num_tasks)
    throw std::invalid_argument("multitask: " + std::to_string(classes_.size()) +
                                " class counts for " + std::to_string(net.num_tasks) + " tasks");
  for (size_t t = 0; t < classes_.size(); ++t)
    if (classes_[t] < 2 || classes_[t] > net.outputs)
      throw std::invalid_argument("multitask: task " + std::to_string(t) + " has " +
                                  std::to_string(classes_[t]) + " classes; need 2.." +
                                  std::to_string(net.outputs) + " (the network's outputs)");
}

std::vector<nn::ParamSpec> MultiTaskObjective::specs() const {
  std::vector<nn::ParamSpec> specs = net_.specs();
  if (log_variances_) specs.push_back({"task_log_variance", {num_tasks()}, {nn::Init::zeros}});
  return specs;
}

std::vector<bool> MultiTaskObjective::shared() const {
  std::vector<bool> shared = net_.shared();
  if (log_variances_) shared.push_back(false);
  return shared;
}

size_t MultiTaskObjective::log_variance_index() const {
  if (!log_variances_) throw std::logic_error("multitask: no task_log_variance parameter");
  return net_.specs().size();
}

std::string MultiTaskObjective::description() const {
  const nn::TaskNetSpec& n = net_.spec();
  std::string d = "conv4 filters=" + std::to_string(n.filters) + " channels=" + std::to_string(n.channels) +
                  " image=" + std::to_string(n.image) + " conditioning=" + nn::to_string(n.conditioning);
  if (n.descriptor > 0) d += " descriptor=" + std::to_string(n.descriptor);
  return d + " tasks=" + std::to_string(n.num_tasks) + " outputs=" + std::to_string(n.outputs);
}

Var MultiTaskObjective::logits(const nn::ParamList& theta, const data::TaskBatch& batch) const {
  const int64_t rows = static_cast<int64_t>(batch.tasks.size()), outputs = net_.spec().outputs;
  const nn::ParamList net_params(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(net_.specs().size()));
  const Device device = batch.inputs.device();
  const Var y = net_.forward(net_params, Var(batch.inputs), Tensor::from_i64(batch.tasks, {rows}, device));
  std::vector<double> mask(static_cast<size_t>(rows * outputs), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = num_classes(batch.tasks[r]); c < outputs; ++c) mask[r * outputs + c] = kMasked;
  return y + Var(Tensor::from(mask, {rows, 1, outputs}, y.dtype(), device));
}

TaskLosses MultiTaskObjective::losses(const nn::ParamList& theta, const data::TaskBatch& batch) const {
  const int64_t rows = static_cast<int64_t>(batch.tasks.size());
  const int64_t examples = rows == 0 ? 0 : batch.labels.size(1);
  const std::vector<int64_t> labels = batch.labels.to_i64_vector();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < examples; ++i) {
      const int64_t label = labels[r * examples + i], classes = num_classes(batch.tasks[r]);
      if (label < 0 || label >= classes)
        throw std::invalid_argument("multitask: label " + std::to_string(label) + " of row " +
                                    std::to_string(r) + " outside task " +
                                    std::to_string(batch.tasks[r]) + "'s " +
                                    std::to_string(classes) + " classes");
    }
  const Var y = logits(theta, batch);  // [T, B, outputs]
  TaskLosses out;
  out.losses = task_cross_entropy(y, batch.labels);  // [T]
  Tensor predicted;
  cz::max(y.data(), -1, false, &predicted);
  const std::vector<int64_t> p = predicted.to_i64_vector();
  for (int64_t r = 0; r < rows; ++r) {
    int64_t correct = 0;
    for (int64_t i = 0; i < examples; ++i) correct += p[r * examples + i] == labels[r * examples + i];
    out.accuracy.push_back(static_cast<double>(correct) / static_cast<double>(examples));
  }
  return out;
}

}  // namespace cz::learn
