// Counter-based random numbers (Philox-4x32-10): a draw is a pure function of (key, counter).
//
// Philox, the 53-bit unit and the draws made from it are host-device code: the CPU and CUDA
// backends run these very functions, so element i of a random tensor is the same number on both.
// Their arithmetic is IEEE with every product and sum rounded on its own (HostDevice.hpp), so
// uniform draws and dropout masks agree bit for bit. A normal draw also calls log, cos and sqrt:
// sqrt is correctly rounded on both sides, but CUDA's double log and cos (within 1 and 2 ulp) are
// not glibc's roundings, so stddev * z of an f64 normal draw may differ from the CPU's in its
// last bits (relative ~1e-15). In f32 the rounding to float hides that, except for the rare draw
// (about one in 10^8) whose double lies within those few ulps of a boundary between two floats.
#pragma once

#include <math.h>

#include <cstdint>
#include <initializer_list>

#include "cezanne/tensor/HostDevice.hpp"

namespace cz {

/// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3").
/// Every value is a pure function of (key, counter), so a stream can be split across ranks,
/// threads and restarts without any shared state: derive the key from what identifies the
/// stream (seed, split, step, task index) and the counter from the position inside it.
class Philox {
 public:
  /// Four 32-bit words (a plain array, which device code can index as well as the host).
  struct Block {
    uint32_t word[4];
    CZ_HOST_DEVICE uint32_t operator[](int i) const { return word[i]; }
  };

  CZ_HOST_DEVICE explicit Philox(uint64_t key)
      : key0_(static_cast<uint32_t>(key)), key1_(static_cast<uint32_t>(key >> 32)) {}

  /// Four independent 32-bit words for a 128-bit counter (hi, lo).
  CZ_HOST_DEVICE Block block(uint64_t counter_lo, uint64_t counter_hi = 0) const {
    Block c{{static_cast<uint32_t>(counter_lo), static_cast<uint32_t>(counter_lo >> 32),
             static_cast<uint32_t>(counter_hi), static_cast<uint32_t>(counter_hi >> 32)}};
    uint32_t k0 = key0_, k1 = key1_;
    for (int round = 0; round < 10; ++round) {
      const uint64_t p0 = static_cast<uint64_t>(kMul0) * c.word[0];
      const uint64_t p1 = static_cast<uint64_t>(kMul1) * c.word[2];
      c = Block{{static_cast<uint32_t>(p1 >> 32) ^ c.word[1] ^ k0, static_cast<uint32_t>(p1),
                 static_cast<uint32_t>(p0 >> 32) ^ c.word[3] ^ k1, static_cast<uint32_t>(p0)}};
      k0 += kWeyl0;
      k1 += kWeyl1;
    }
    return c;
  }

 private:
  static constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  static constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t key0_, key1_;
};

/// Uniform in [0, 1) from the 53 high bits of the 64-bit word (hi, lo).
CZ_HOST_DEVICE inline double unit_interval(uint32_t hi, uint32_t lo) {
  return static_cast<double>(((static_cast<uint64_t>(hi) << 32) | lo) >> 11) * 0x1.0p-53;
}

/// a + (b - a) * u: uniform in [a, b) for u uniform in [0, 1).
CZ_HOST_DEVICE inline double uniform_draw(double a, double b, double u) {
  return add_rn(a, mul_rn(b - a, u));
}

/// mean + stddev * sqrt(-2 log(1 - u)) * cos(2 pi v): a normal draw from two uniforms in [0, 1)
/// (Box-Muller, its cosine branch; 1 - u is in (0, 1], so the log is finite).
CZ_HOST_DEVICE inline double normal_draw(double mean, double stddev, double u, double v) {
  return add_rn(mean, mul_rn(mul_rn(stddev, ::sqrt(-2.0 * ::log(1.0 - u))),
                             ::cos(mul_rn(6.283185307179586, v))));
}

/// Element i of a random tensor from its Philox block (counter + i): uniform in [a, b) from
/// words 0-1, or normal with mean a and standard deviation b from words 0-1 and 2-3.
CZ_HOST_DEVICE inline double random_element(bool normal, double a, double b,
                                            const Philox::Block& r) {
  const double u = unit_interval(r[0], r[1]);
  return normal ? normal_draw(a, b, u, unit_interval(r[2], r[3])) : uniform_draw(a, b, u);
}

/// Whether dropout with probability p keeps the element of Philox block r (its uniform >= p).
CZ_HOST_DEVICE inline bool dropout_keeps(double p, const Philox::Block& r) {
  return unit_interval(r[0], r[1]) >= p;
}

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
    return cache_[static_cast<int>(position_++ & 3)];
  }
  uint64_t next_u64() { return (static_cast<uint64_t>(next_u32()) << 32) | next_u32(); }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() {
    const uint64_t w = next_u64();
    return unit_interval(static_cast<uint32_t>(w >> 32), static_cast<uint32_t>(w));
  }
  double uniform(double lo, double hi) { return uniform_draw(lo, hi, uniform()); }
  /// Uniform integer in [0, n) (Lemire's multiply-shift; bias below 2^-32 for n < 2^32).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next_u64()) * n) >> 64);
  }
  /// Standard normal (Box-Muller on two uniforms).
  double normal() {
    const double u = uniform(), v = uniform();
    return normal_draw(0.0, 1.0, u, v);
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
