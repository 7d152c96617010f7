// CPU counter-based random tensors: element i uses Philox block (counter + i) of key `seed`.
#include <cmath>

#include "CpuBackend.hpp"
#include "Strided.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::cpu {

namespace {

inline double unit(uint32_t hi, uint32_t lo) {  // [0, 1) with 53 bits
  return static_cast<double>(((static_cast<uint64_t>(hi) << 32) | lo) >> 11) * 0x1.0p-53;
}

}  // namespace

void CpuBackend::random(bool normal, double a, double b, uint64_t seed, uint64_t counter, Tensor& out) {
  const Philox philox(seed);
  const int64_t n = out.numel();
  Tensor target = out.is_contiguous() ? out : Tensor::empty(out.shape(), out.dtype());
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    T* p = static_cast<T*>(target.raw_data());
#pragma omp parallel for if (n >= kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const Philox::Block r = philox.block(counter + static_cast<uint64_t>(i));
      const double u = unit(r[0], r[1]);
      if (normal) {
        const double u1 = 1.0 - u, u2 = unit(r[2], r[3]);
        p[i] = static_cast<T>(a + b * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
      } else {
        p[i] = static_cast<T>(a + (b - a) * u);
      }
    }
  });
  if (!out.is_contiguous()) copy(target, out);
}

void CpuBackend::dropout_mask(double p, uint64_t seed, uint64_t counter, Tensor& out) {
  const Philox philox(seed);
  const int64_t n = out.numel();
  const double keep_scale = 1.0 / (1.0 - p);
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    T* o = static_cast<T*>(out.raw_data());
#pragma omp parallel for if (n >= kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const Philox::Block r = philox.block(counter + static_cast<uint64_t>(i));
      o[i] = unit(r[0], r[1]) >= p ? static_cast<T>(keep_scale) : T(0);
    }
  });
}

}  // namespace cz::cpu
