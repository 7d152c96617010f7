// Params: named parameters as views of one flat data buffer and one flat gradient buffer.
#include "cezanne/nn/Params.hpp"

#include <stdexcept>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::nn {

Params::Params(std::vector<ParamSpec> specs, DType dtype, Device device)
    : specs_(std::move(specs)), dtype_(dtype), device_(device) {
  if (!is_floating(dtype))
    throw std::invalid_argument(std::string("Params: dtype must be floating, got ") +
                                dtype_name(dtype));
  offsets_.reserve(specs_.size() + 1);
  offsets_.push_back(0);
  for (size_t i = 0; i < specs_.size(); ++i) {
    const ParamSpec& s = specs_[i];
    if (s.name.empty())
      throw std::invalid_argument("Params: parameter " + std::to_string(i) + " has an empty name");
    if (!index_.emplace(s.name, i).second)
      throw std::invalid_argument("Params: duplicate parameter name '" + s.name + "'");
    for (int64_t d : s.shape)
      if (d < 0)
        throw std::invalid_argument("Params: parameter '" + s.name + "' has shape " +
                                    shape_str(s.shape));
    offsets_.push_back(offsets_.back() + shape_numel(s.shape));
  }
  flat_ = Tensor::zeros({offsets_.back()}, dtype_, device_);
  flat_grad_ = Tensor::zeros({offsets_.back()}, dtype_, device_);
  vars_.reserve(specs_.size());
  for (size_t i = 0; i < specs_.size(); ++i) {
    const Shape& shape = specs_[i].shape;
    Var v(flat_.slice(0, offsets_[i], offsets_[i + 1]).view(shape), /*requires_grad=*/true);
    v.set_grad(flat_grad_.slice(0, offsets_[i], offsets_[i + 1]).view(shape));
    v.set_name(specs_[i].name);
    vars_.push_back(std::move(v));
  }
}

void Params::initialize(uint64_t seed) {
  NoGradGuard no_grad;
  for (size_t i = 0; i < specs_.size(); ++i) {
    Tensor values = init_tensor(specs_[i].init, specs_[i].shape,
                                mix_key({seed, static_cast<uint64_t>(i)}), dtype_, device_);
    Tensor view = vars_[i].data();  // shares the flat buffer
    view.copy_(values);
  }
}

const Var& Params::operator[](size_t i) const {
  if (i >= vars_.size())
    throw std::out_of_range("Params: index " + std::to_string(i) + " out of range (size " +
                            std::to_string(size()) + ")");
  return vars_[i];
}

size_t Params::index(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw std::out_of_range("Params: no parameter named '" + name + "'");
  return it->second;
}

const Var& Params::operator[](const std::string& name) const { return vars_[index(name)]; }

const ParamSpec& Params::spec(size_t i) const {
  if (i >= specs_.size())
    throw std::out_of_range("Params: index " + std::to_string(i) + " out of range (size " +
                            std::to_string(size()) + ")");
  return specs_[i];
}

int64_t Params::offset(size_t i) const {
  spec(i);
  return offsets_[i];
}

int64_t Params::numel(size_t i) const {
  spec(i);
  return offsets_[i + 1] - offsets_[i];
}

void Params::zero_grad() {
  if (flat_grad_.defined()) flat_grad_.fill_(0.0);
}

void Params::copy_from(const Params& other) {
  if (other.size() != size())
    throw std::invalid_argument("Params::copy_from: " + std::to_string(other.size()) +
                                " parameters into " + std::to_string(size()));
  for (size_t i = 0; i < size(); ++i) {
    if (other.specs_[i].name != specs_[i].name)
      throw std::invalid_argument("Params::copy_from: parameter " + std::to_string(i) + " is '" +
                                  other.specs_[i].name + "', expected '" + specs_[i].name + "'");
    if (other.specs_[i].shape != specs_[i].shape)
      throw std::invalid_argument("Params::copy_from: parameter '" + specs_[i].name +
                                  "' has shape " + shape_str(other.specs_[i].shape) +
                                  ", expected " + shape_str(specs_[i].shape));
  }
  if (numel() == 0) return;
  NoGradGuard no_grad;
  Tensor src = other.flat_;
  if (src.device() != device_) src = src.to(device_);
  flat_.copy_(src);
}

Params Params::clone() const {
  Params copy(specs_, dtype_, device_);
  copy.copy_from(*this);
  return copy;
}

}  // namespace cz::nn
