// The CUDA optimizer kernels (CudaOptim.cuh), run on the host by CudaEmulation.hpp on a grid too
// small for the parameters (the grid-stride loop wraps), against the CPU backend over several
// steps: Adam with coupled and decoupled weight decay, SGD plain, with momentum and Nesterov, in
// f64 and f32. Both compute in double with every product and sum rounded on its own, so the
// parameters and moments must be the CPU's bit for bit. Runs on every machine.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cezanne/backend/Backend.hpp"
#include "backend/CudaCompare.hpp"
// After every other header: the emulation defines CUDA's keywords as macros.
#include "backend/CudaEmulation.hpp"
#include "backend/cuda/CudaOptim.cuh"

namespace cz {
namespace {

using testing::expect_same;

const Shape kShape = {10, 15};

template <class T>
void check_adam(DType dtype) {
  Backend& cpu = backend_for(Device::cpu());
  for (const bool decoupled : {false, true}) {
    SCOPED_TRACE(std::string(dtype_name(dtype)) + (decoupled ? ", decoupled" : ", coupled"));
    Tensor p = Tensor::uniform(kShape, -1, 1, 81, 0, dtype), m = Tensor::zeros(kShape, dtype),
           v = Tensor::zeros(kShape, dtype);
    Tensor cp = p.clone(), cm = m.clone(), cv = v.clone();
    for (int64_t t = 1; t <= 3; ++t) {
      const AdamStep s{1e-2, 0.9, 0.999, 1e-8, 0.05, decoupled, t};
      const Tensor g = Tensor::uniform(kShape, -2, 2, 82, static_cast<uint64_t>(t) * 1000, dtype);
      cuda::optim::adam<T>(cuda::emulation::GridLaunch{}, s, p, g, m, v);
      cpu.adam_update(s, cp, g, cm, cv);
    }
    expect_same(p, cp, "p");
    expect_same(m, cm, "m");
    expect_same(v, cv, "v");
  }
}

template <class T>
void check_sgd(DType dtype) {
  Backend& cpu = backend_for(Device::cpu());
  const std::vector<SgdStep> steps = {
      {0.1, 0, 0, false}, {0.1, 0.9, 1e-3, false}, {0.05, 0.8, 1e-2, true}};
  for (const SgdStep& s : steps) {
    SCOPED_TRACE(std::string(dtype_name(dtype)) + ", momentum " + std::to_string(s.momentum) +
                 (s.nesterov ? ", Nesterov" : ""));
    Tensor p = Tensor::uniform(kShape, -1, 1, 83, 0, dtype), buffer = Tensor::zeros(kShape, dtype);
    Tensor cp = p.clone(), cbuffer = buffer.clone();
    for (uint64_t t = 1; t <= 3; ++t) {
      const Tensor g = Tensor::uniform(kShape, -2, 2, 84, t * 1000, dtype);
      cuda::optim::sgd<T>(cuda::emulation::GridLaunch{}, s, p, g, buffer);
      cpu.sgd_update(s, cp, g, cbuffer);
    }
    expect_same(p, cp, "p");
    expect_same(buffer, cbuffer, "momentum buffer");
  }
}

TEST(CudaOptimEmulated, AdamIsTheCpusF64) { check_adam<double>(DType::f64); }
TEST(CudaOptimEmulated, AdamIsTheCpusF32) { check_adam<float>(DType::f32); }
TEST(CudaOptimEmulated, SgdIsTheCpusF64) { check_sgd<double>(DType::f64); }
TEST(CudaOptimEmulated, SgdIsTheCpusF32) { check_sgd<float>(DType::f32); }

}  // namespace
}  // namespace cz
