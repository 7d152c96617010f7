// Functional layers: linear (with task axis), batch norm 2d, the conv block, LSTM cell,
// activations.
#include "cezanne/nn/Layers.hpp"

#include <string>

#include "cezanne/autograd/Ops.hpp"

namespace cz::nn {

namespace {

std::string shapes(const char* op, const Var& x, const Var& w) {
  return std::string(op) + ": x " + shape_str(x.shape()) + ", weight " + shape_str(w.shape());
}

}  // namespace

Var linear(const Var& x, const Var& weight, const Var& bias) {
  if (weight.dim() == 2) {
    const int64_t out = weight.size(0), in = weight.size(1);
    if (x.dim() < 1 || x.size(-1) != in)
      throw ShapeError(shapes("nn::linear", x, weight) + ": last dim of x must be " +
                       std::to_string(in));
    if (bias.defined() && bias.shape() != Shape{out})
      throw ShapeError(shapes("nn::linear", x, weight) + ", bias " + shape_str(bias.shape()) +
                       ": bias must be [" + std::to_string(out) + "]");
    // [..., in] -> [M, in] so every batch is one GEMM against the transposed (view) weight.
    const bool reshaped = x.dim() != 2;
    Var x2 = reshaped ? cz::reshape(x, {-1, in}) : x;
    Var y = cz::matmul(x2, cz::transpose(weight, 0, 1));  // [M, out]
    if (bias.defined()) y = y + bias;
    if (reshaped) {
      Shape shape = x.shape();
      shape.back() = out;
      y = cz::reshape(y, shape);
    }
    return y;
  }
  if (weight.dim() == 3) {
    // Task axis: weight [T, out, in], x [T, ..., in] -> [T, ..., out], one batched GEMM.
    const int64_t tasks = weight.size(0), out = weight.size(1), in = weight.size(2);
    if (x.dim() < 2 || x.size(0) != tasks || x.size(-1) != in)
      throw ShapeError(shapes("nn::linear", x, weight) + ": with a task axis x must be [" +
                       std::to_string(tasks) + ", ..., " + std::to_string(in) + "]");
    if (bias.defined() && bias.shape() != Shape{tasks, out})
      throw ShapeError(shapes("nn::linear", x, weight) + ", bias " + shape_str(bias.shape()) +
                       ": bias must be [" + std::to_string(tasks) + ", " + std::to_string(out) +
                       "]");
    const bool reshaped = x.dim() != 3;
    Var x3 = reshaped ? cz::reshape(x, {tasks, -1, in}) : x;
    Var y = cz::matmul(x3, cz::transpose(weight, 1, 2));  // [T, M, out]
    if (bias.defined()) y = y + cz::unsqueeze(bias, 1);   // [T, 1, out]
    if (reshaped) {
      Shape shape = x.shape();
      shape.back() = out;
      y = cz::reshape(y, shape);
    }
    return y;
  }
  throw ShapeError(shapes("nn::linear", x, weight) + ": weight must be [out, in] or [T, out, in]");
}

Var batch_norm2d(const Var& x, const Var& gamma, const Var& beta, bool task_axis,
                 RunningStats* running, bool training, double eps) {
  const int64_t rank = task_axis ? 5 : 4;
  if (x.dim() != rank)
    throw ShapeError("nn::batch_norm2d: x " + shape_str(x.shape()) + " must be " +
                     (task_axis ? "[T, N, C, H, W]" : "[N, C, H, W]"));
  return cz::batch_norm(x, gamma, beta, eps, task_axis, running, training);
}

Var conv_block(const Var& x, const Var& weight, const Var& bias, const Var& gamma, const Var& beta,
               bool task_axis, RunningStats* running, bool training) {
  const int64_t kernel = weight.size(-1);
  Var y = cz::conv2d(x, weight, bias, /*stride=*/1, /*padding=*/kernel / 2);
  // relu and the max-pool commute (relu is monotone, and a window whose maximum is not positive
  // passes no gradient either way), so pooling first runs relu and its derivative on a quarter
  // of the elements. With batch statistics the batch norm and the pool are one fused op.
  const double eps = 1e-5;
  if (!running) return cz::relu(cz::batch_norm_max_pool2d(y, gamma, beta, eps, task_axis));
  y = batch_norm2d(y, gamma, beta, task_axis, running, training, eps);
  return cz::relu(cz::max_pool2d(y, 2));
}

LSTMState lstm_cell(const Var& x, const Var& h, const Var& c, const Var& w_ih, const Var& w_hh,
                    const Var& bias) {
  const int64_t hidden = h.size(-1);
  if (w_ih.dim() < 2 || w_ih.size(-2) != 4 * hidden || w_hh.dim() < 2 ||
      w_hh.size(-2) != 4 * hidden || w_hh.size(-1) != hidden || c.shape() != h.shape())
    throw ShapeError("nn::lstm_cell: h " + shape_str(h.shape()) + ", c " + shape_str(c.shape()) +
                     ", w_ih " + shape_str(w_ih.shape()) + ", w_hh " + shape_str(w_hh.shape()) +
                     ": need w_ih [4H, in], w_hh [4H, H]");
  Var gates = linear(x, w_ih, bias) + linear(h, w_hh);  // [..., 4H]
  const int64_t last = gates.dim() - 1;
  Var i = cz::sigmoid(cz::slice(gates, last, 0, hidden));
  Var f = cz::sigmoid(cz::slice(gates, last, hidden, 2 * hidden));
  Var g = cz::tanh(cz::slice(gates, last, 2 * hidden, 3 * hidden));
  Var o = cz::sigmoid(cz::slice(gates, last, 3 * hidden, 4 * hidden));
  Var c_next = f * c + i * g;
  Var h_next = o * cz::tanh(c_next);
  return {h_next, c_next};
}

Var activate(const Var& x, Activation activation) {
  switch (activation) {
    case Activation::relu:
      return cz::relu(x);
    case Activation::tanh:
      return cz::tanh(x);
    case Activation::sigmoid:
      return cz::sigmoid(x);
    case Activation::identity:
      return x;
  }
  return x;
}

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::relu:
      return "relu";
    case Activation::tanh:
      return "tanh";
    case Activation::sigmoid:
      return "sigmoid";
    case Activation::identity:
      return "identity";
  }
  return "?";
}

}  // namespace cz::nn
