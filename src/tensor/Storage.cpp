// Storage: memory from the device's backend.
#include "cezanne/tensor/Storage.hpp"

#include "cezanne/backend/Backend.hpp"

namespace cz {

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  data_ = backend_for(device).allocate(bytes);
}

Storage::~Storage() { backend_for(device_).deallocate(data_, bytes_); }

}  // namespace cz
