// Code that both the host compiler and nvcc's device pass compile: the CPU and CUDA backends
// share it so that their numbers cannot drift apart.
#pragma once

#if defined(__CUDACC__)
#define CZ_HOST_DEVICE __host__ __device__
#else
#define CZ_HOST_DEVICE
#endif

namespace cz {

// A product and a sum rounded on their own. nvcc contracts `a * b + c` into one fused
// multiply-add (one rounding) where it can; the host build has no FMA instruction to contract into
// (x86-64 without -march; a host build with FMA would need -ffp-contract=off), so a formula that
// host and device share rounds alike only when written with these.
CZ_HOST_DEVICE inline double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
CZ_HOST_DEVICE inline double add_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
CZ_HOST_DEVICE inline float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
CZ_HOST_DEVICE inline float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}

}  // namespace cz
