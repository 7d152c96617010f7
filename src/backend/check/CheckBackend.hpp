// The checking device: host memory that code above the backend may not touch. Tensor::data()
// refuses its tensors, so a host read left above the backend throws on a CPU machine, in the
// test suite, instead of crashing on a GPU later. Its kernels lend their operands to the CPU
// kernels as host views, so its results are the CPU's bit for bit.
#pragma once

#include <cstdint>

#include "cezanne/backend/Backend.hpp"

namespace cz::check {

/// check:0 runs every kernel of the CPU backend; check:1 only its primitives, so the backend
/// interface's default composites run (they are what a new backend starts from). Throws
/// DeviceError for other indices.
Backend& backend(int index);

/// Copies from a checking device to the host so far, over both checking devices and every
/// thread: each is a place where a GPU would make the host wait (`item()`, `to_vector()`,
/// `to(Device::cpu())` of a device tensor). Tests take differences around a step to count what a
/// meta-step reads back (docs/engine.md, "Host reads of a step").
uint64_t device_to_host_copies();

}  // namespace cz::check
