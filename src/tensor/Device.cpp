// Device names.
#include "cezanne/tensor/Device.hpp"

#include <charconv>

#include "cezanne/tensor/Error.hpp"

namespace cz {

std::string Device::str() const {
  switch (type) {
    case DeviceType::cpu:
      return "cpu";
    case DeviceType::cuda:
      return "cuda:" + std::to_string(index);
    case DeviceType::check:
      return "check:" + std::to_string(index);
  }
  return "?";
}

Device parse_device(const std::string& text) {
  const size_t colon = text.find(':');
  const std::string type = text.substr(0, colon);
  int index = 0;
  if (colon != std::string::npos) {
    const char* first = text.data() + colon + 1;
    const char* last = text.data() + text.size();
    const auto [end, ec] = std::from_chars(first, last, index);
    if (ec != std::errc() || end != last || first == last || index < 0)
      throw DeviceError("unknown device '" + text + "' (expected cpu, cuda[:N] or check[:N])");
  }
  if (type == "cpu" && colon == std::string::npos) return Device::cpu();
  if (type == "cuda") return Device::cuda(index);
  if (type == "check") return Device::check(index);
  throw DeviceError("unknown device '" + text + "' (expected cpu, cuda[:N] or check[:N])");
}

}  // namespace cz
