// The NCCL backend on device buffers, one rank per GPU; skipped where there is no GPU.
#include <gtest/gtest.h>

#include <vector>

#include "cezanne/backend/CudaRuntime.hpp"
#include "cezanne/dist/Bootstrap.hpp"
#include "cezanne/dist/Failure.hpp"
#include "cezanne/dist/GradientReducer.hpp"
#include "dist/MpiTestMain.hpp"

namespace cz::dist {
namespace {

using test::world;

// Every rank takes the same branch: nccl_device_problem is collective and agrees everywhere
// (skipped without a GPU per rank, e.g. 2 ranks on a 1-GPU machine).
std::shared_ptr<Communicator> nccl_or_skip_reason(std::string& reason) {
  reason = nccl_device_problem(world());
  if (!reason.empty()) return nullptr;
  static std::shared_ptr<Communicator> nccl = make_nccl_communicator(world());
  return nccl;
}

struct DeviceBuffer {
  explicit DeviceBuffer(size_t bytes) : ptr(bytes ? cz::cuda::malloc_device(bytes) : nullptr) {}
  ~DeviceBuffer() { cz::cuda::free_device(ptr); }
  void* ptr;
};

// Without a GPU per rank the backend refuses to start, with one line that every rank agrees on.
TEST(Nccl, DeviceProblemIsNamedAndStopsTheBackend) {
  const std::string problem = nccl_device_problem(world());
  if (!nccl_built()) {
    EXPECT_EQ(problem, "the NCCL backend is not built (configure with CEZANNE_WITH_NCCL=ON)");
    return;
  }
  const int devices = cz::cuda::device_count();
  if (devices == 0) {
    EXPECT_EQ(problem, "rank 0 (local rank 0) has no CUDA device of its own (0 visible)");
  } else if (devices == 1 && world().local_size() > 1) {
    EXPECT_EQ(problem.rfind("ranks 0 and 1 would share GPU ", 0), 0u) << problem;
    EXPECT_NE(problem.find("(NCCL needs one GPU per rank"), std::string::npos) << problem;
  } else {
    EXPECT_EQ(problem, "");
    return;
  }
  try {
    make_nccl_communicator(world());
    ADD_FAILURE() << "the NCCL backend started without a GPU per rank";
  } catch (const DistError& e) {
    EXPECT_NE(std::string(e.what()).find("NCCL backend: " + problem), std::string::npos) << e.what();
  }
}

TEST(Nccl, AllreduceSumManySizes) {
  std::string reason;
  auto nccl = nccl_or_skip_reason(reason);
  if (!nccl) GTEST_SKIP() << reason;
  EXPECT_STREQ(nccl->backend(), "nccl");
  EXPECT_TRUE(nccl->device_buffers());
  const int P = nccl->size();
  for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{1000}, size_t{1} << 20}) {
    std::vector<float> host(n);
    for (size_t i = 0; i < n; ++i) host[i] = static_cast<float>((nccl->rank() + 1) * static_cast<int>(i % 7 + 1));
    DeviceBuffer d(n * sizeof(float));
    if (n) cz::cuda::copy_to_device(d.ptr, host.data(), n * sizeof(float));
    nccl->check_same_count(n, "allreduce");  // host path through MPI
    nccl->allreduce(d.ptr, n, DataType::f32, ReduceOp::sum);
    if (n) cz::cuda::copy_to_host(host.data(), d.ptr, n * sizeof(float));
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(host[i], static_cast<float>(P * (P + 1) / 2 * static_cast<int>(i % 7 + 1)));
  }
}

TEST(Nccl, AllgathervAndBroadcast) {
  std::string reason;
  auto nccl = nccl_or_skip_reason(reason);
  if (!nccl) GTEST_SKIP() << reason;
  const int r = nccl->rank(), P = nccl->size();
  std::vector<double> mine(static_cast<size_t>(r + 1), static_cast<double>(r));
  const auto counts = nccl->allgather_counts(mine.size());
  size_t total = 0;
  for (size_t c : counts) total += c;
  DeviceBuffer send(mine.size() * sizeof(double)), recv(total * sizeof(double));
  cz::cuda::copy_to_device(send.ptr, mine.data(), mine.size() * sizeof(double));
  nccl->allgatherv(send.ptr, recv.ptr, counts, DataType::f64);
  std::vector<double> all(total);
  cz::cuda::copy_to_host(all.data(), recv.ptr, total * sizeof(double));
  size_t k = 0;
  for (int s = 0; s < P; ++s)
    for (int i = 0; i <= s; ++i) ASSERT_EQ(all[k++], static_cast<double>(s));
  nccl->broadcast(recv.ptr, total, DataType::f64, P - 1);
  cz::cuda::copy_to_host(all.data(), recv.ptr, total * sizeof(double));
  EXPECT_EQ(all[0], 0.0);
}

TEST(Nccl, ReducerDividesOnTheDevice) {
  std::string reason;
  auto nccl = nccl_or_skip_reason(reason);
  if (!nccl) GTEST_SKIP() << reason;
  const size_t n = 4099;
  std::vector<float> host(n, static_cast<float>(nccl->rank() + 1));
  DeviceBuffer d(n * sizeof(float));
  cz::cuda::copy_to_device(d.ptr, host.data(), n * sizeof(float));
  GradientReducer reducer(*nccl, 1024);
  reducer.reduce(std::span<float>(static_cast<float*>(d.ptr), n), 3);
  cz::cuda::copy_to_host(host.data(), d.ptr, n * sizeof(float));
  const float expected = static_cast<float>(nccl->size() * (nccl->size() + 1) / 2) / 3.0f;
  for (float x : host) ASSERT_EQ(x, expected);
  EXPECT_TRUE(all_finite(*nccl, true));
}

}  // namespace
}  // namespace cz::dist

CZ_MPI_TEST_MAIN()
