// The execution context: a thread's current stream per device, set by StreamGuard.
#include <gtest/gtest.h>

#include <thread>

#include "cezanne/backend/Stream.hpp"

namespace cz {
namespace {

TEST(Stream, GuardsNestPerDeviceAndPerThread) {
  int a = 0, b = 0;
  const Device gpu0 = Device::cuda(0), gpu1 = Device::cuda(1);
  EXPECT_EQ(current_stream(gpu0), (Stream{gpu0, nullptr}));
  {
    StreamGuard outer(Stream{gpu0, &a});
    EXPECT_EQ(current_stream(gpu0).handle, &a);
    EXPECT_EQ(current_stream(gpu1).handle, nullptr);
    {
      StreamGuard inner(Stream{gpu0, &b});
      EXPECT_EQ(current_stream(gpu0).handle, &b);
      std::thread other([&] { EXPECT_EQ(current_stream(gpu0).handle, nullptr); });
      other.join();
    }
    EXPECT_EQ(current_stream(gpu0).handle, &a);
  }
  EXPECT_EQ(current_stream(gpu0).handle, nullptr);
}

}  // namespace
}  // namespace cz
