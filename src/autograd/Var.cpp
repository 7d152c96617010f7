// Var: data plus graph metadata.
#include "cezanne/autograd/Var.hpp"

#include "cezanne/autograd/Grad.hpp"
#include "cezanne/autograd/Node.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

namespace {

const detail::VarImpl& checked(const std::shared_ptr<detail::VarImpl>& impl) {
  if (!impl) throw AutogradError("Var: use of an undefined variable");
  return *impl;
}

}  // namespace

Var::Var(Tensor data, bool requires_grad) : impl_(std::make_shared<detail::VarImpl>()) {
  if (!data.defined()) throw AutogradError("Var: constructed from an undefined tensor");
  if (requires_grad && !is_floating(data.dtype()))
    throw DTypeError(std::string("Var: only floating tensors can require grad, got ") + dtype_name(data.dtype()));
  impl_->data = std::move(data);
  impl_->requires_grad = requires_grad;
}

Var Var::with_history(Tensor data, std::shared_ptr<Node> grad_fn) {
  Var v(std::move(data));
  v.impl_->requires_grad = true;
  v.impl_->grad_fn = std::move(grad_fn);
  return v;
}

const Tensor& Var::data() const { return checked(impl_).data; }
bool Var::requires_grad() const { return checked(impl_).requires_grad; }
bool Var::is_leaf() const { return checked(impl_).grad_fn == nullptr; }
const std::shared_ptr<Node>& Var::grad_fn() const { return checked(impl_).grad_fn; }
const Tensor& Var::grad() const { return checked(impl_).grad; }
const std::string& Var::name() const { return checked(impl_).name; }

void Var::set_requires_grad(bool requires_grad) {
  checked(impl_);
  if (!is_leaf()) throw AutogradError("set_requires_grad: only leaves can change requires_grad");
  if (requires_grad && !is_floating(data().dtype()))
    throw DTypeError(std::string("set_requires_grad: ") + dtype_name(data().dtype()) + " tensors cannot require grad");
  impl_->requires_grad = requires_grad;
}

void Var::set_grad(Tensor grad) {
  checked(impl_);
  if (grad.defined() && grad.shape() != data().shape())
    throw ShapeError("set_grad: gradient " + shape_str(grad.shape()) + " for variable " + shape_str(data().shape()));
  impl_->grad = std::move(grad);
}

void Var::set_accumulated_hook(std::function<void()> hook) {
  checked(impl_);
  if (!is_leaf()) throw AutogradError("set_accumulated_hook: '" + impl_->name + "' is not a leaf");
  impl_->accumulated_hook = std::move(hook);
}

void Var::zero_grad() {
  checked(impl_);
  if (impl_->grad.defined()) impl_->grad.fill_(0.0);
}

void Var::set_name(std::string name) {
  checked(impl_);
  impl_->name = std::move(name);
}

void Var::backward(const Var& seed, bool retain_graph, bool create_graph) const {
  cz::backward({*this}, seed.defined() ? std::vector<Var>{seed} : std::vector<Var>{}, retain_graph, create_graph);
}

Var Var::detach() const { return Var(data()); }

}  // namespace cz
