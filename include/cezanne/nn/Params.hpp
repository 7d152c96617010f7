// Params: an ordered, named parameter set backed by one flat contiguous buffer.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cezanne/autograd/Var.hpp"
#include "cezanne/nn/ParamSpec.hpp"

namespace cz::nn {

/// Owns one contiguous data tensor and one contiguous gradient tensor of the same size.
/// Parameter i is a leaf Var (requires_grad) whose data is the view
/// flat()[offset(i) : offset(i) + numel_i] reshaped to spec(i).shape, and whose grad buffer is
/// the matching view of flat_grad(), so backward() accumulates straight into flat_grad() and
/// the allreduce and the optimizer work on the two flat buffers without copies.
/// Parameters are laid out in spec order with no padding.
///
/// Move-only: a copy would alias the buffers; use clone() for an independent copy.
class Params {
 public:
  Params() = default;
  /// Allocates zeroed buffers. Throws std::invalid_argument on a duplicate or empty name or a
  /// negative dimension.
  explicit Params(std::vector<ParamSpec> specs, DType dtype = DType::f32,
                  Device device = Device::cpu());
  Params(Params&&) noexcept = default;
  Params& operator=(Params&&) noexcept = default;
  Params(const Params&) = delete;
  Params& operator=(const Params&) = delete;

  /// Fills every parameter by its Init: parameter i from key mix_key({seed, i}), counter 0, so
  /// each one is deterministic and independent of the others. Gradients are not touched.
  void initialize(uint64_t seed);

  size_t size() const { return vars_.size(); }
  const Var& operator[](size_t i) const;
  /// Throws std::out_of_range naming the parameter.
  const Var& operator[](const std::string& name) const;
  /// Index of `name`; throws std::out_of_range naming it.
  size_t index(const std::string& name) const;
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  const std::string& name(size_t i) const { return spec(i).name; }
  const ParamSpec& spec(size_t i) const;
  const std::vector<ParamSpec>& specs() const { return specs_; }
  /// The leaf Vars in order: the theta a functional model is called with.
  const ParamList& list() const { return vars_; }

  /// The whole data buffer, 1-d [numel()]: a handle to the storage the parameters view, so
  /// writes through it (copy_, fill_, data<T>()) change the parameters.
  Tensor flat() const { return flat_; }
  /// The whole gradient buffer, 1-d [numel()].
  Tensor flat_grad() const { return flat_grad_; }
  /// Element offset of parameter i in flat().
  int64_t offset(size_t i) const;
  /// Number of elements of parameter i.
  int64_t numel(size_t i) const;
  /// Total number of elements.
  int64_t numel() const { return flat_.defined() ? flat_.numel() : 0; }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }

  /// Zeroes flat_grad() in place.
  void zero_grad();
  /// Copies the data of `other` (same names and shapes in the same order; dtype may differ).
  /// Throws std::invalid_argument naming the first mismatch.
  void copy_from(const Params& other);
  /// An independent copy: same specs, dtype, device and data; zero gradients.
  Params clone() const;

 private:
  std::vector<ParamSpec> specs_;
  std::vector<int64_t> offsets_;  // size() + 1 entries
  std::unordered_map<std::string, size_t> index_;
  DType dtype_ = DType::f32;
  Device device_ = Device::cpu();
  Tensor flat_, flat_grad_;
  ParamList vars_;
};

}  // namespace cz::nn
