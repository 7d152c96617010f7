// Tensor: creation, views, copies and element access.
#include "cezanne/tensor/Tensor.hpp"

#include <algorithm>
#include <numeric>

#include "cezanne/backend/Backend.hpp"

namespace cz {

namespace {

std::string where_str(const char* op, const Shape& shape) { return std::string(op) + ": tensor " + shape_str(shape); }

}  // namespace

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype)
    : storage_(std::move(storage)), shape_(std::move(shape)), strides_(std::move(strides)), offset_(offset),
      dtype_(dtype) {}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t s : shape)
    if (s < 0) throw ShapeError("Tensor::empty: negative size in " + shape_str(shape));
  const size_t bytes = static_cast<size_t>(std::max<int64_t>(shape_numel(shape), 1)) * dtype_size(dtype);
  return Tensor(std::make_shared<Storage>(bytes, device), shape, contiguous_strides(shape), 0, dtype);
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}
Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }
Tensor Tensor::scalar(double value, DType dtype, Device device) { return full({}, value, dtype, device); }

void throw_not_on_host(Device device) {
  throw DeviceError("Tensor::data: tensor on " + device.str() + ", not the host; copy it with to(Device::cpu())");
}

Tensor Tensor::from(const std::vector<double>& values, const Shape& shape, DType dtype, Device device) {
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw ShapeError("Tensor::from: " + std::to_string(values.size()) + " values for shape " + shape_str(shape));
  Tensor t = empty(shape, dtype);
  for (size_t i = 0; i < values.size(); ++i) {
    switch (dtype) {
      case DType::f32: t.data<float>()[i] = static_cast<float>(values[i]); break;
      case DType::f64: t.data<double>()[i] = values[i]; break;
      case DType::i64: t.data<int64_t>()[i] = static_cast<int64_t>(values[i]); break;
    }
  }
  return t.to(device);
}

Tensor Tensor::from_f32(const std::vector<float>& values, const Shape& shape, Device device) {
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw ShapeError("Tensor::from_f32: " + std::to_string(values.size()) + " values for shape " + shape_str(shape));
  Tensor t = empty(shape, DType::f32);
  std::copy(values.begin(), values.end(), t.data<float>());
  return t.to(device);
}

Tensor Tensor::from_i64(const std::vector<int64_t>& values, const Shape& shape, Device device) {
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw ShapeError("Tensor::from_i64: " + std::to_string(values.size()) + " values for shape " + shape_str(shape));
  Tensor t = empty(shape, DType::i64);
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return t.to(device);
}

Tensor Tensor::arange(int64_t n, DType dtype, Device device) {
  std::vector<double> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0.0);
  return from(v, {n}, dtype, device);
}

Tensor Tensor::uniform(const Shape& shape, double low, double high, uint64_t seed, uint64_t counter, DType dtype,
                       Device device) {
  Tensor t = empty(shape, dtype, device);
  backend_for(t.device()).random(false, low, high, seed, counter, t);
  return t;
}

Tensor Tensor::normal(const Shape& shape, double mean, double stddev, uint64_t seed, uint64_t counter, DType dtype,
                      Device device) {
  Tensor t = empty(shape, dtype, device);
  backend_for(t.device()).random(true, mean, stddev, seed, counter, t);
  return t;
}

int64_t Tensor::size(int64_t d) const { return shape_[wrap_dim(d, dim(), "Tensor::size")]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  if (!storage_) throw Error("Tensor: use of an undefined tensor");
  return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(dtype_size(dtype_));
}

// ---- views

namespace {

Shape infer_shape(const Shape& requested, int64_t numel, const Shape& from) {
  Shape shape = requested;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw ShapeError("reshape: more than one -1 in " + shape_str(requested));
      infer = static_cast<int64_t>(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0)
      throw ShapeError("reshape: cannot reshape " + shape_str(from) + " to " + shape_str(requested));
    shape[static_cast<size_t>(infer)] = numel / known;
  }
  if (shape_numel(shape) != numel)
    throw ShapeError("reshape: cannot reshape " + shape_str(from) + " (" + std::to_string(numel) + " elements) to " +
                     shape_str(requested));
  return shape;
}

// Strides for viewing (shape, strides) as new_shape without a copy, if possible (PyTorch's
// computeStride: match groups of old dims that are contiguous among themselves).
bool view_strides(const Shape& shape, const Shape& strides, const Shape& new_shape, Shape& out) {
  out.assign(new_shape.size(), 0);
  if (shape.empty()) return view_strides({1}, {1}, new_shape, out);  // a 0-d tensor is one element
  if (shape_numel(shape) == 0) {
    out = contiguous_strides(new_shape);
    return true;
  }
  int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t chunk_base_stride = strides.empty() ? 1 : strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(shape.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= shape[tensor_d];
    if (tensor_d == 0 || (shape[tensor_d - 1] != 1 && strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (tensor_d > 0) {
        chunk_base_stride = strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

}  // namespace

Tensor Tensor::view(const Shape& requested) const {
  const Shape shape = infer_shape(requested, numel(), shape_);
  Shape strides;
  if (!view_strides(shape_, strides_, shape, strides))
    throw ShapeError("view: tensor " + shape_str(shape_) + " with its strides cannot be viewed as " + shape_str(shape));
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::reshape(const Shape& requested) const {
  const Shape shape = infer_shape(requested, numel(), shape_);
  Shape strides;
  if (view_strides(shape_, strides_, shape, strides)) return Tensor(storage_, shape, strides, offset_, dtype_);
  return contiguous().view(shape);
}

Tensor Tensor::permute(const std::vector<int64_t>& order) const {
  if (static_cast<int64_t>(order.size()) != dim())
    throw ShapeError("permute: order of " + std::to_string(order.size()) + " dims for " + where_str("", shape_));
  Shape shape(order.size()), strides(order.size());
  std::vector<bool> seen(order.size(), false);
  for (size_t i = 0; i < order.size(); ++i) {
    const int64_t d = wrap_dim(order[i], dim(), "permute");
    if (seen[d]) throw ShapeError("permute: repeated dimension " + std::to_string(d));
    seen[d] = true;
    shape[i] = shape_[d];
    strides[i] = strides_[d];
  }
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::transpose(int64_t a, int64_t b) const {
  std::vector<int64_t> order(static_cast<size_t>(dim()));
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[wrap_dim(a, dim(), "transpose")], order[wrap_dim(b, dim(), "transpose")]);
  return permute(order);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  d = wrap_dim(d, dim(), "slice");
  const int64_t n = shape_[d];
  if (step <= 0) throw ShapeError("slice: step must be positive, got " + std::to_string(step));
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape shape = shape_, strides = strides_;
  shape[d] = (end - start + step - 1) / step;
  strides[d] = strides_[d] * step;
  return Tensor(storage_, shape, strides, offset_ + start * strides_[d], dtype_);
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  d = wrap_dim(d, dim(), "select");
  if (index < 0) index += shape_[d];
  if (index < 0 || index >= shape_[d])
    throw ShapeError("select: index " + std::to_string(index) + " out of range for dim " + std::to_string(d) +
                     " of " + shape_str(shape_));
  Shape shape = shape_, strides = strides_;
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  return Tensor(storage_, shape, strides, offset_ + index * strides_[d], dtype_);
}

Tensor Tensor::expand(const Shape& target) const {
  if (target.size() < shape_.size())
    throw ShapeError("expand: cannot expand " + shape_str(shape_) + " to " + shape_str(target));
  const size_t lead = target.size() - shape_.size();
  Shape strides(target.size(), 0);
  for (size_t i = 0; i < shape_.size(); ++i) {
    if (shape_[i] == target[lead + i]) {
      strides[lead + i] = strides_[i];
    } else if (shape_[i] != 1) {
      throw ShapeError("expand: cannot expand " + shape_str(shape_) + " to " + shape_str(target));
    }
  }
  return Tensor(storage_, target, strides, offset_, dtype_);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape shape = shape_, strides = strides_;
  const int64_t stride = d < dim() ? strides_[d] * shape_[d] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::squeeze(int64_t d) const {
  d = wrap_dim(d, dim(), "squeeze");
  if (shape_[d] != 1)
    throw ShapeError("squeeze: dimension " + std::to_string(d) + " of " + shape_str(shape_) + " is not 1");
  Shape shape = shape_, strides = strides_;
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  start_dim = wrap_dim(start_dim, dim(), "flatten");
  end_dim = wrap_dim(end_dim, dim(), "flatten");
  Shape shape(shape_.begin(), shape_.begin() + start_dim);
  int64_t n = 1;
  for (int64_t i = start_dim; i <= end_dim; ++i) n *= shape_[i];
  shape.push_back(n);
  shape.insert(shape.end(), shape_.begin() + end_dim + 1, shape_.end());
  return reshape(shape);
}

// ---- copies

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape_, dtype_, device());
  backend_for(device()).copy(*this, out);
  return out;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  Tensor out = empty(shape_, dtype, device());
  backend_for(device()).copy(*this, out);
  return out;
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  const Tensor src = contiguous();
  Tensor out = empty(shape_, dtype_, target);
  Backend& b = backend_for(target.is_cpu() ? src.device() : target);
  b.memcpy(out.raw_data(), src.raw_data(), static_cast<size_t>(numel()) * dtype_size(dtype_), target, src.device());
  return out;
}

void Tensor::copy_(const Tensor& src) {
  if (src.device() != device())
    throw DeviceError("copy_: source on " + src.device().str() + ", destination on " + device().str());
  Tensor s = src.expand(shape_);
  backend_for(device()).copy(s, *this);
}

void Tensor::fill_(double value) { backend_for(device()).fill(*this, value); }

// ---- element access

std::vector<double> Tensor::to_vector() const {
  const Tensor c = to(Device::cpu()).contiguous();
  std::vector<double> out(static_cast<size_t>(numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    switch (dtype_) {
      case DType::f32: out[i] = c.data<float>()[i]; break;
      case DType::f64: out[i] = c.data<double>()[i]; break;
      case DType::i64: out[i] = static_cast<double>(c.data<int64_t>()[i]); break;
    }
  }
  return out;
}

std::vector<float> Tensor::to_f32_vector() const {
  const Tensor c = to(DType::f32).to(Device::cpu()).contiguous();
  return std::vector<float>(c.data<float>(), c.data<float>() + numel());
}

std::vector<int64_t> Tensor::to_i64_vector() const {
  const Tensor c = to(DType::i64).to(Device::cpu()).contiguous();
  return std::vector<int64_t>(c.data<int64_t>(), c.data<int64_t>() + numel());
}

double Tensor::item() const {
  if (numel() != 1) throw ShapeError("item: tensor " + shape_str(shape_) + " has " + std::to_string(numel()) + " elements");
  return to_vector()[0];
}

double Tensor::at(std::initializer_list<int64_t> index) const {
  if (static_cast<int64_t>(index.size()) != dim())
    throw ShapeError("at: " + std::to_string(index.size()) + " indices for " + shape_str(shape_));
  Tensor t = *this;
  for (int64_t i : index) t = t.select(0, i);
  return t.item();
}

}  // namespace cz
