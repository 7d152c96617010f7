// Softmax family and losses, composed of differentiable ops.
#include "cezanne/autograd/ops/Loss.hpp"

#include "cezanne/autograd/ops/Indexing.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/autograd/ops/Shape.hpp"

namespace cz {

Var log_softmax(const Var& x, int64_t dim) { return x - logsumexp(x, dim, true); }

Var softmax(const Var& x, int64_t dim) { return exp(log_softmax(x, dim)); }

namespace {

// -log_softmax(logits)[label] at every position: [...] of labels' shape.
Var picked_nll(const Var& logits, const Tensor& labels) {
  if (labels.dtype() != DType::i64)
    throw DTypeError(std::string("cross_entropy: labels must be i64, got ") + dtype_name(labels.dtype()) + " " +
                     shape_str(labels.shape()));
  if (logits.dim() < 1) throw ShapeError("cross_entropy: logits " + shape_str(logits.shape()) + " have no class dim");
  const Shape expected(logits.shape().begin(), logits.shape().end() - 1);
  if (labels.shape() != expected)
    throw ShapeError("cross_entropy: logits " + shape_str(logits.shape()) + " need labels " + shape_str(expected) +
                     ", got " + shape_str(labels.shape()));
  const int64_t classes = logits.size(-1);
  // On the host only: reading device labels back would make the host wait for the device at
  // every loss of an inner loop (the CPU's and the checking device's gather still refuse an
  // index out of range).
  if (labels.device().is_cpu())
    for (int64_t label : labels.to_i64_vector())
      if (label < 0 || label >= classes)
        throw ShapeError("cross_entropy: label " + std::to_string(label) + " out of range for " +
                         std::to_string(classes) + " classes (logits " + shape_str(logits.shape()) + ")");
  return -squeeze(gather(log_softmax(logits, -1), -1, labels.unsqueeze(-1)), -1);
}

// Every dim but the first (a [T] result stays [T]).
std::vector<int64_t> all_but_task_axis(const Var& x) {
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

Var mean_per_task(const Var& x, const char* who) {
  if (x.dim() < 1) throw ShapeError(std::string(who) + ": no task axis in " + shape_str(x.shape()));
  return x.dim() == 1 ? x : mean(x, all_but_task_axis(x));
}

}  // namespace

Var cross_entropy(const Var& logits, const Tensor& labels) { return mean(picked_nll(logits, labels)); }

Var task_cross_entropy(const Var& logits, const Tensor& labels) {
  return mean_per_task(picked_nll(logits, labels), "task_cross_entropy");
}

Var mse(const Var& prediction, const Var& target) {
  if (prediction.shape() != target.shape())
    throw ShapeError("mse: prediction " + shape_str(prediction.shape()) + " and target " + shape_str(target.shape()));
  const Var d = prediction - target;
  return mean(d * d);
}

Var task_mse(const Var& prediction, const Var& target) {
  if (prediction.shape() != target.shape())
    throw ShapeError("task_mse: prediction " + shape_str(prediction.shape()) + " and target " + shape_str(target.shape()));
  const Var d = prediction - target;
  return mean_per_task(d * d, "task_mse");
}

}  // namespace cz
