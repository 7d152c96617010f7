// CPU counter-based random tensors: element i uses Philox block (counter + i) of key `seed`, and
// the draws of tensor/Random.hpp that the CUDA backend runs too.
#include "CpuBackend.hpp"
#include "Strided.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::cpu {

void CpuBackend::random(bool normal, double a, double b, uint64_t seed, uint64_t counter,
                        Tensor& out) {
  const Philox philox(seed);
  const int64_t n = out.numel();
  Tensor target = out.is_contiguous() ? out : Tensor::empty(out.shape(), out.dtype());
  dispatch_floating(out.dtype(), [&](auto tag_) {
    using T = typename decltype(tag_)::type;
    T* p = static_cast<T*>(target.raw_data());
#pragma omp parallel for if (n >= kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i)
      p[i] = static_cast<T>(
          random_element(normal, a, b, philox.block(counter + static_cast<uint64_t>(i))));
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
    for (int64_t i = 0; i < n; ++i)
      o[i] = dropout_keeps(p, philox.block(counter + static_cast<uint64_t>(i)))
                 ? static_cast<T>(keep_scale)
                 : T(0);
  });
}

}  // namespace cz::cpu
