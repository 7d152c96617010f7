// Counter-based random numbers: the draws the CPU and CUDA backends share (tensor/Random.hpp)
// give the CPU backend's tensors exactly, and the numbers pinned before they were shared.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "cezanne/backend/Backend.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz {
namespace {

constexpr uint64_t kSeed = 0x5eed;

// Equal bits, not only ==: a signed zero or a last-ulp difference fails.
void expect_same_bits(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_EQ(std::memcmp(&actual[i], &expected[i], sizeof(double)), 0)
        << "element " << i << ": " << actual[i] << " vs " << expected[i];
}

// The value the shared draws give element i of a tensor of `dtype` (rounded as the kernels round).
double as_dtype(double v, DType dtype) {
  return dtype == DType::f32 ? static_cast<double>(static_cast<float>(v)) : v;
}

TEST(RandomDraws, CpuTensorsKeepThePinnedNumbers) {
  // Printed by the CPU backend before its draws became the shared host-device functions; an
  // independent computation (Python: Philox-4x32-10 and the same formulas on glibc's log, cos,
  // sqrt) gives the same bits. The counter's low word carries between elements 3 and 4.
  const uint64_t counter = 0xfffffffcu;
  expect_same_bits(Tensor::uniform({6}, -2.0, 3.0, kSeed, counter, DType::f64).to_vector(),
                   {0x1.206ad2df28348p-1, 0x1.bb5dc280e227cp+0, 0x1.5d0de09a44ca8p+1,
                    0x1.74a7f5b374d1p+1, 0x1.8daa5ac175a84p+0, -0x1.ff96c2e8e1f0cp-1});
  expect_same_bits(Tensor::normal({6}, 0.5, 2.0, kSeed, counter, DType::f64).to_vector(),
                   {0x1.f1450aaacdc7ep+0, -0x1.4f568a8e36b6bp+1, -0x1.116029bf93728p+0,
                    -0x1.78a45e0547c83p+1, 0x1.2cfa8e8c777a4p+1, 0x1.054966902786ep-2});
  expect_same_bits(Tensor::normal({6}, 0.5, 2.0, kSeed, counter, DType::f32).to_vector(),
                   {0x1.f1450ap+0, -0x1.4f568ap+1, -0x1.11602ap+0, -0x1.78a45ep+1, 0x1.2cfa8ep+1,
                    0x1.054966p-2});
  const double keep = 0x1.6db6dcp+0;  // 1 / 0.7 in f32
  expect_same_bits(dropout_mask({12}, 0.3, kSeed, counter, DType::f32, Device::cpu()).to_vector(),
                   {keep, keep, keep, keep, keep, 0, keep, keep, keep, keep, 0, 0});
  CounterRng rng(kSeed, 5);
  const double u = rng.uniform(), n = rng.normal(), w = rng.uniform(-1, 1);
  expect_same_bits({u, n, w}, {0x1.518defd7fd9bbp-1, -0x1.bc33ba4c6a894p-1, 0x1.fdbf7838f6c6p-2});
}

TEST(RandomDraws, SharedDrawsAreTheCpuBackendsTensors) {
  // Element i of every random tensor is the shared draw of Philox block (counter + i): the
  // functions the CUDA kernels run. 4099 elements across a carry of the counter's low word.
  const int64_t n = 4099;
  const uint64_t counter = 0xffffffffull - 2000;
  const Philox philox(kSeed);
  for (DType dtype : {DType::f32, DType::f64}) {
    SCOPED_TRACE(dtype_name(dtype));
    std::vector<double> uniform, normal, mask;
    for (int64_t i = 0; i < n; ++i) {
      const Philox::Block r = philox.block(counter + static_cast<uint64_t>(i));
      uniform.push_back(as_dtype(random_element(false, -1.5, 2.5, r), dtype));
      normal.push_back(as_dtype(random_element(true, 0.25, 3.0, r), dtype));
      mask.push_back(dropout_keeps(0.4, r) ? as_dtype(1.0 / 0.6, dtype) : 0.0);
    }
    expect_same_bits(Tensor::uniform({n}, -1.5, 2.5, kSeed, counter, dtype).to_vector(), uniform);
    expect_same_bits(Tensor::normal({n}, 0.25, 3.0, kSeed, counter, dtype).to_vector(), normal);
    expect_same_bits(dropout_mask({n}, 0.4, kSeed, counter, dtype, Device::cpu()).to_vector(),
                     mask);
  }
}

TEST(RandomDraws, AStridedOutputGetsElementIAtItsRowMajorPosition) {
  // The CUDA kernel writes a strided output through its layout; the CPU's numbers are the rule.
  Tensor out = Tensor::zeros({3, 4}, DType::f64).transpose(0, 1);  // [4, 3], not contiguous
  backend_for(Device::cpu()).random(true, 0.0, 1.0, kSeed, 7, out);
  const Philox philox(kSeed);
  std::vector<double> expected;
  for (uint64_t i = 0; i < 12; ++i)
    expected.push_back(random_element(true, 0.0, 1.0, philox.block(7 + i)));
  expect_same_bits(out.contiguous().to_vector(), expected);
}

}  // namespace
}  // namespace cz
