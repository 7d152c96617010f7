// Var: a tensor that records the operations applied to it, for reverse-mode differentiation.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cezanne/tensor/Tensor.hpp"

namespace cz {

class Node;

namespace detail {
struct VarImpl {
  Tensor data;
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;          // null for leaves
  std::weak_ptr<Node> grad_accumulator;   // leaves: created on first use by an op
  Tensor grad;                            // leaves: accumulated gradient (may view a flat buffer)
  std::function<void()> accumulated_hook; // leaves: see Var::set_accumulated_hook
  std::string name;
};
}  // namespace detail

/// Cheap to copy: copies share the data and the graph metadata. A leaf is a Var created by
/// the user (parameters, inputs); a non-leaf is the output of an op recorded while grad mode
/// is on and some input requires grad.
class Var {
 public:
  Var() = default;
  explicit Var(Tensor data, bool requires_grad = false);

  bool defined() const { return impl_ != nullptr; }
  const Tensor& data() const;
  bool requires_grad() const;
  /// Leaves only.
  void set_requires_grad(bool requires_grad);
  bool is_leaf() const;
  const std::shared_ptr<Node>& grad_fn() const;

  const Shape& shape() const { return data().shape(); }
  int64_t dim() const { return data().dim(); }
  int64_t size(int64_t d) const { return data().size(d); }
  int64_t numel() const { return data().numel(); }
  DType dtype() const { return data().dtype(); }
  Device device() const { return data().device(); }
  double item() const { return data().item(); }

  /// The gradient accumulated by backward() (leaves); undefined Tensor if none yet.
  const Tensor& grad() const;
  /// Gives the leaf a gradient buffer to accumulate into (e.g. a view of a flat buffer).
  void set_grad(Tensor grad);
  /// Zeroes the gradient buffer in place (keeps it).
  void zero_grad();
  /// Leaves only: `hook` runs each time backward() has added this leaf's whole gradient of that
  /// backward into grad() — as soon as the last op using the leaf has run its backward, before
  /// the rest of the graph (second-order graphs included). An empty function removes it. This is
  /// how the gradient allreduce starts on a part of the buffer while backward goes on.
  void set_accumulated_hook(std::function<void()> hook);

  /// Accumulates d(this)/d(leaf) into every leaf's grad(). Needs a scalar unless `seed` is given.
  void backward(const Var& seed = Var(), bool retain_graph = false, bool create_graph = false) const;
  /// Same data, no history, requires_grad = false.
  Var detach() const;

  const std::string& name() const;
  void set_name(std::string name);

  /// Identity of the underlying variable (copies compare equal).
  bool same(const Var& other) const { return impl_ == other.impl_; }
  const std::shared_ptr<detail::VarImpl>& impl() const { return impl_; }
  /// Internal: the output of an op with history `grad_fn`.
  static Var with_history(Tensor data, std::shared_ptr<Node> grad_fn);

 private:
  std::shared_ptr<detail::VarImpl> impl_;
};

}  // namespace cz
