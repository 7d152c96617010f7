// The one exception type of the data store and its importers.
#pragma once

#include <stdexcept>
#include <string>

namespace cz::data {

/// A store, shard or source file is missing, malformed or corrupt, or the store API was
/// misused. The message names the file and, where there is one, the HDF5 object
/// ("shard-00003.h5: /examples: checksum mismatch or corrupt data (class 'k')").
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace cz::data
