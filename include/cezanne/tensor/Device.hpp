// Where a tensor's storage lives.
#pragma once

#include <cstdint>
#include <string>

namespace cz {

/// cpu: host memory. cuda: a GPU. check: host memory that code above the backend may not touch
/// (the checking backend, which behaves like a GPU for everything above it; see docs/engine.md).
enum class DeviceType : uint8_t { cpu, cuda, check };
inline constexpr int kDeviceTypes = 3;

/// A device: the CPU, CUDA device `index`, or checking device `index` (0: every kernel is the
/// CPU's; 1: only the primitive kernels are, the rest run the backend's default composites).
struct Device {
  DeviceType type = DeviceType::cpu;
  int index = 0;

  static Device cpu() { return {}; }
  static Device cuda(int index) { return {DeviceType::cuda, index}; }
  static Device check(int index = 0) { return {DeviceType::check, index}; }
  bool is_cpu() const { return type == DeviceType::cpu; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  /// "cpu", "cuda:0", "check:1".
  std::string str() const;
};

/// Parses "cpu", "cuda", "cuda:N", "check", "check:N" (no index = 0); throws DeviceError naming
/// the text otherwise.
Device parse_device(const std::string& text);

}  // namespace cz
