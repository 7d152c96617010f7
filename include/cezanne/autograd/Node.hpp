// Graph nodes: each op records one Node whose backward formula is written in differentiable
// ops, so running it with grad mode on records the backward pass itself (higher order).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cezanne/autograd/Var.hpp"

namespace cz {

class Node : public std::enable_shared_from_this<Node> {
 public:
  virtual ~Node() = default;
  virtual const char* name() const = 0;
  /// Gradients of the inputs given the gradient of the (single) output; an undefined Var
  /// where an input needs none.
  virtual std::vector<Var> backward(const Var& grad_output) = 0;
  /// Frees saved variables after a backward without retain_graph.
  virtual void release() { released_ = true; }
  bool released() const { return released_; }

  /// Per input: the node its gradient flows to (an op's node, or a leaf's accumulator), or null.
  std::vector<std::shared_ptr<Node>> next;
  /// Creation order; later nodes run first in backward.
  uint64_t sequence = 0;

 protected:
  bool released_ = false;
};

/// Where a leaf's gradient ends: accumulates into VarImpl::grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::weak_ptr<detail::VarImpl> leaf) : leaf_(std::move(leaf)) {}
  const char* name() const override { return "AccumulateGrad"; }
  std::vector<Var> backward(const Var& grad_output) override;
  std::shared_ptr<detail::VarImpl> leaf() const { return leaf_.lock(); }

 private:
  std::weak_ptr<detail::VarImpl> leaf_;
};

/// The inputs of a recorded op, as its backward formula sees them.
struct SavedContext {
  std::vector<Var> inputs;   // the op's inputs, with their history
  Tensor output;             // the op's result data (use `output_var()` for a Var with history)
  std::weak_ptr<Node> node;
  /// The op's output as a Var whose history is this node (for formulas such as exp's).
  Var output_var() const;
};

using BackwardFn = std::function<std::vector<Var>(const Var& grad_output, const SavedContext& ctx)>;

/// A node defined by a backward lambda: the readable table form of derivatives.
class FunctionNode final : public Node {
 public:
  FunctionNode(const char* name, BackwardFn fn) : name_(name), fn_(std::move(fn)) {}
  const char* name() const override { return name_; }
  std::vector<Var> backward(const Var& grad_output) override;
  void release() override;
  SavedContext ctx;

 private:
  const char* name_;
  BackwardFn fn_;
};

/// Records an op: wraps `output` in a Var, and, when grad mode is on and an input requires
/// grad, attaches a FunctionNode named `name` whose backward is `fn`. `save_output` keeps the
/// result data for formulas that use it.
Var record(const char* name, Tensor output, std::vector<Var> inputs, BackwardFn fn, bool save_output = false);

}  // namespace cz
