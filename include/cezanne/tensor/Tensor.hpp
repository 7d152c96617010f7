// Tensor: a strided view of reference-counted storage. Knows nothing of autograd.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "cezanne/tensor/DType.hpp"
#include "cezanne/tensor/Device.hpp"
#include "cezanne/tensor/Error.hpp"
#include "cezanne/tensor/Shape.hpp"
#include "cezanne/tensor/Storage.hpp"

namespace cz {

/// An n-dimensional array: shape, strides (in elements) and an offset into shared storage.
/// Copying a Tensor copies the handle, not the data. View operations (reshape of a
/// contiguous tensor, permute, transpose, slice, expand, ...) share storage.
class Tensor {
 public:
  Tensor() = default;

  // ---- creation
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32, Device device = Device::cpu());
  /// A 0-d tensor.
  static Tensor scalar(double value, DType dtype = DType::f32, Device device = Device::cpu());
  /// Copies host `values` (converted to `dtype`) into a new tensor of `shape` on `device`.
  static Tensor from(const std::vector<double>& values, const Shape& shape, DType dtype = DType::f32,
                     Device device = Device::cpu());
  static Tensor from_f32(const std::vector<float>& values, const Shape& shape, Device device = Device::cpu());
  static Tensor from_i64(const std::vector<int64_t>& values, const Shape& shape, Device device = Device::cpu());
  /// 0, 1, ..., n-1.
  static Tensor arange(int64_t n, DType dtype = DType::f32, Device device = Device::cpu());
  /// Counter-based random tensors: element i is a pure function of (seed, counter + i), the
  /// same numbers on every device.
  static Tensor uniform(const Shape& shape, double low, double high, uint64_t seed, uint64_t counter = 0,
                        DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor normal(const Shape& shape, double mean, double stddev, uint64_t seed, uint64_t counter = 0,
                       DType dtype = DType::f32, Device device = Device::cpu());

  // ---- metadata
  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  /// Size of dimension `d` (negative counts from the end).
  int64_t size(int64_t d) const;
  int64_t numel() const { return shape_numel(shape_); }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device() : Device::cpu(); }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool shares_storage(const Tensor& other) const { return storage_ && storage_ == other.storage_; }

  /// Typed host pointer to the first element: checks the dtype (DTypeError) and that the tensor
  /// is on the host (DeviceError; copy it with to(Device::cpu()) first).
  template <class T>
  T* data() const;
  /// The first element's address in the device's memory: for backends and copies, never to be
  /// dereferenced above the backend.
  void* raw_data() const;

  // ---- views (share storage)
  /// Reshape; -1 infers one dimension. A view when the strides allow it, else a copy.
  Tensor reshape(const Shape& shape) const;
  /// Reshape that must be a view (throws ShapeError otherwise).
  Tensor view(const Shape& shape) const;
  Tensor permute(const std::vector<int64_t>& order) const;
  Tensor transpose(int64_t a, int64_t b) const;
  /// Elements start, start+step, ... < end along `dim` (negative start/end count from the end).
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  /// Index `index` along `dim`, removing that dimension.
  Tensor select(int64_t dim, int64_t index) const;
  /// Broadcast to `shape` with stride 0 on expanded dimensions.
  Tensor expand(const Shape& shape) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;

  // ---- copies
  /// This tensor if already contiguous, else a contiguous copy.
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;
  /// Copies `src` (broadcast to this shape, converted to this dtype) into this tensor's elements.
  void copy_(const Tensor& src);
  void fill_(double value);

  // ---- element access: copies to the host (slow; for metrics, files, tests)
  double item() const;
  double at(std::initializer_list<int64_t> index) const;
  std::vector<double> to_vector() const;
  std::vector<float> to_f32_vector() const;
  std::vector<int64_t> to_i64_vector() const;

  /// Internal: a tensor over existing storage.
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype);

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Shape strides_;
  int64_t offset_ = 0;
  DType dtype_ = DType::f32;
};

/// The DeviceError of data() on a tensor not on the host.
[[noreturn]] void throw_not_on_host(Device device);

template <class T>
T* Tensor::data() const {
  if (dtype_ != dtype_of<T>()) throw DTypeError(std::string("Tensor::data: tensor is ") + dtype_name(dtype_) +
                                                ", asked for " + dtype_name(dtype_of<T>()));
  if (storage_ && !storage_->device().is_cpu()) throw_not_on_host(storage_->device());
  return static_cast<T*>(raw_data());
}

}  // namespace cz
