// The CUDA backends, one per GPU of the machine, free of CUDA headers for the backend registry.
#pragma once

#include "cezanne/backend/Backend.hpp"

namespace cz::cuda {

/// The backend of cuda:`index`, created on first use. Throws DeviceError naming the device when
/// this build has no CUDA or the machine has no such GPU.
Backend& backend(int index);

}  // namespace cz::cuda
