// SHA-256 (FIPS 180-4), for the content hash of a store's examples; `sha256sum` computes the same.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace cz::data::detail {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  /// The digest as 64 lowercase hex digits. The object is spent afterwards.
  std::string hex();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace cz::data::detail
