// Reference-counted raw memory on one device.
#pragma once

#include <cstddef>
#include <memory>

#include "cezanne/tensor/Device.hpp"

namespace cz {

/// A block of bytes owned by the backend of its device (from its caching allocator). Tensors
/// share it through shared_ptr, so views never copy and memory is freed with the last view.
class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  /// Memory owned elsewhere, seen as on `device`, never freed here: for backends only (the
  /// checking backend lends its memory to the CPU kernels this way).
  static std::shared_ptr<Storage> borrow(void* data, size_t bytes, Device device);

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  Storage(void* data, size_t bytes, Device device);

  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
  bool owned_ = true;
};

}  // namespace cz
