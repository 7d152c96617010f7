// Storage: memory from the device's backend.
#include "cezanne/tensor/Storage.hpp"

#include "cezanne/backend/Backend.hpp"

namespace cz {

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  data_ = backend_for(device).allocate(bytes);
}

Storage::Storage(void* data, size_t bytes, Device device) : data_(data), bytes_(bytes), device_(device), owned_(false) {}

std::shared_ptr<Storage> Storage::borrow(void* data, size_t bytes, Device device) {
  return std::shared_ptr<Storage>(new Storage(data, bytes, device));
}

Storage::~Storage() {
  if (owned_) backend_for(device_).deallocate(data_, bytes_);
}

}  // namespace cz
