// Counter-based random numbers (Philox-4x32-10): a draw is a pure function of (key, counter).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace cz {

/// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3").
/// Every value is a pure function of (key, counter), so a stream can be split across ranks,
/// threads and restarts without any shared state: derive the key from what identifies the
/// stream (seed, split, step, task index) and the counter from the position inside it.
class Philox {
 public:
  using Block = std::array<uint32_t, 4>;

  explicit Philox(uint64_t key) : key_{static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32)} {}

  /// Four independent 32-bit words for a 128-bit counter (hi, lo).
  Block block(uint64_t counter_lo, uint64_t counter_hi = 0) const {
    Block c{static_cast<uint32_t>(counter_lo), static_cast<uint32_t>(counter_lo >> 32),
            static_cast<uint32_t>(counter_hi), static_cast<uint32_t>(counter_hi >> 32)};
    std::array<uint32_t, 2> k = key_;
    for (int round = 0; round < 10; ++round) {
      const uint64_t p0 = static_cast<uint64_t>(kMul0) * c[0];
      const uint64_t p1 = static_cast<uint64_t>(kMul1) * c[2];
      c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
           static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
      k[0] += kWeyl0;
      k[1] += kWeyl1;
    }
    return c;
  }

 private:
  static constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  static constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  std::array<uint32_t, 2> key_;
};

/// Mixes several 64-bit identifiers into one key (splitmix64 finalizer per word).
inline uint64_t mix_key(std::initializer_list<uint64_t> words) {
  uint64_t h = 0x243F6A8885A308D3ull;
  for (uint64_t w : words) {
    uint64_t z = h ^ (w + 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    h = z ^ (z >> 31);
  }
  return h;
}

/// A sequential view of one Philox stream: draw i uses counter i, so the stream can be
/// restarted at any position with `seek`.
class CounterRng {
 public:
  explicit CounterRng(uint64_t key, uint64_t position = 0) : philox_(key), position_(position) {}

  uint32_t next_u32() {
    const uint64_t block = position_ >> 2;
    if (block != cached_block_) {
      cache_ = philox_.block(block);
      cached_block_ = block;
    }
    return cache_[position_++ & 3];
  }
  uint64_t next_u64() { return (static_cast<uint64_t>(next_u32()) << 32) | next_u32(); }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n) (Lemire's multiply-shift; bias below 2^-32 for n < 2^32).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next_u64()) * n) >> 64); }
  /// Standard normal (Box-Muller on two uniforms).
  double normal() {
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  uint64_t position() const { return position_; }
  void seek(uint64_t position) { position_ = position; }

 private:
  Philox philox_;
  uint64_t position_;
  uint64_t cached_block_ = ~0ull;
  Philox::Block cache_{};
};

}  // namespace cz
