// CudaRuntimeTest.cpp — device queries never abort; fill writes every element (GPU only).
#include "cezanne/backend/CudaRuntime.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "cezanne/BuildInfo.hpp"

namespace {

TEST(CudaRuntime, DeviceCountIsNeverNegative) {
  EXPECT_GE(cz::cuda::device_count(), 0);
  if (!cz::build_info::kWithCuda) {
    EXPECT_EQ(cz::cuda::device_count(), 0);
    EXPECT_THROW(cz::cuda::malloc_device(16), std::runtime_error);
  }
}

TEST(CudaRuntime, FillWritesEveryElement) {
  if (cz::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  EXPECT_FALSE(cz::cuda::device_name(0).empty());
  // Odd size larger than one grid of 65535 x 256 threads, to exercise the grid-stride loop.
  const std::size_t n = 65535ull * 256ull + 77;
  auto* device = static_cast<float*>(cz::cuda::malloc_device(n * sizeof(float)));
  std::vector<float> host(n, -1.0f);
  cz::cuda::copy_to_device(device, host.data(), n * sizeof(float));
  cz::cuda::fill(device, n - 1, 3.5f);  // leave the last element alone
  cz::cuda::synchronize();
  cz::cuda::copy_to_host(host.data(), device, n * sizeof(float));
  cz::cuda::free_device(device);
  for (std::size_t i = 0; i + 1 < n; ++i) {
    ASSERT_EQ(host[i], 3.5f) << "at " << i;
  }
  EXPECT_EQ(host[n - 1], -1.0f);
}

TEST(CudaRuntime, BadDeviceIndexThrows) {
  if (cz::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  EXPECT_THROW(cz::cuda::device_name(cz::cuda::device_count() + 5), std::runtime_error);
}

}  // namespace
