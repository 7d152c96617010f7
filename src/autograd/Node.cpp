// Recording ops into the graph.
#include "cezanne/autograd/Node.hpp"

#include <atomic>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

namespace detail {

uint64_t next_sequence() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

std::shared_ptr<Node> gradient_edge(const Var& v) {
  if (v.grad_fn()) return v.grad_fn();
  const auto& impl = v.impl();
  std::shared_ptr<Node> acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(impl);
    acc->sequence = 0;
    impl->grad_accumulator = acc;
  }
  return acc;
}

}  // namespace detail

std::vector<Var> AccumulateGrad::backward(const Var& grad_output) {
  std::shared_ptr<detail::VarImpl> leaf = leaf_.lock();
  if (!leaf) return {};
  const Tensor& g = grad_output.data();
  if (!leaf->grad.defined()) {
    leaf->grad = g.clone();
  } else {
    // In place, so a gradient buffer that views a flat buffer stays that view.
    leaf->grad.copy_(binary(BinaryOp::add, leaf->grad, g));
  }
  if (leaf->accumulated_hook) leaf->accumulated_hook();
  return {};
}

Var SavedContext::output_var() const {
  if (!output.defined()) throw AutogradError("backward: the op did not save its output");
  return Var::with_history(output, node.lock());
}

std::vector<Var> FunctionNode::backward(const Var& grad_output) {
  std::vector<Var> grads = fn_(grad_output, ctx);
  if (grads.size() != ctx.inputs.size())
    throw AutogradError(std::string(name_) + " backward: returned " + std::to_string(grads.size()) +
                        " gradients for " + std::to_string(ctx.inputs.size()) + " inputs");
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined() || !ctx.inputs[i].defined()) continue;
    if (grads[i].shape() != ctx.inputs[i].shape())
      throw AutogradError(std::string(name_) + " backward: gradient " + shape_str(grads[i].shape()) + " for input " +
                          std::to_string(i) + " of shape " + shape_str(ctx.inputs[i].shape()));
  }
  return grads;
}

void FunctionNode::release() {
  ctx.inputs.clear();
  ctx.output = Tensor();
  released_ = true;
}

Var record(const char* name, Tensor output, std::vector<Var> inputs, BackwardFn fn, bool save_output) {
  bool needs = false;
  if (grad_enabled())
    for (const Var& v : inputs)
      if (v.defined() && v.requires_grad()) needs = true;
  if (!needs) return Var(std::move(output));
  auto node = std::make_shared<FunctionNode>(name, std::move(fn));
  node->sequence = detail::next_sequence();
  node->next.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) node->next[i] = detail::gradient_edge(inputs[i]);
  node->ctx.inputs = std::move(inputs);
  if (save_output) node->ctx.output = output;
  node->ctx.node = node;
  return Var::with_history(std::move(output), node);
}

}  // namespace cz
