// Typed exceptions of the engine: every message names the op and the shapes involved.
#pragma once

#include <stdexcept>
#include <string>

namespace cz {

/// Base of engine errors.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// Incompatible shapes or an out-of-range dimension or index.
struct ShapeError : Error {
  using Error::Error;
};
/// Wrong or mixed element types.
struct DTypeError : Error {
  using Error::Error;
};
/// Tensors on different devices, or a device this build cannot use.
struct DeviceError : Error {
  using Error::Error;
};
/// Misuse of autograd: backward through a freed graph, grad of a non-scalar without a seed...
struct AutogradError : Error {
  using Error::Error;
};

}  // namespace cz
