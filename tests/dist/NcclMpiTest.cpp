// The NCCL backend on device buffers, one rank per GPU; skipped where there is no GPU.
#include <gtest/gtest.h>

#include <cmath>
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

// Rank r's gradient: values of both signs and many magnitudes, different on every rank.
std::vector<double> gradient_of_rank(int rank, size_t n) {
  std::vector<double> g(n);
  for (size_t i = 0; i < n; ++i)
    g[i] = std::sin(0.37 * static_cast<double>(i) + rank) * std::pow(10.0, static_cast<double>(i % 9) - 4.0);
  return g;
}

// The reducer on the parameters' flat gradient as the trainer holds it (a Tensor in device
// memory), through NCCL in place, equals the MPI path on the same values (a host tensor): exactly
// on 1 and 2 ranks, where every order of the sum is the same, to round-off beyond. Blocking and
// overlapped (parts declared ready out of order, as the leaves' hooks do) give the same bits.
TEST(Nccl, ReducerOnADeviceTensorEqualsTheMpiPath) {
  std::string reason;
  auto nccl = nccl_or_skip_reason(reason);
  if (!nccl) GTEST_SKIP() << reason;
  const Device gpu = Device::cuda(nccl->device());
  const size_t n = 10007;
  for (const DType dtype : {DType::f32, DType::f64}) {
    const Tensor mine = Tensor::from(gradient_of_rank(nccl->rank(), n), {static_cast<int64_t>(n)}, dtype);
    const Tensor host = mine.clone();
    GradientReducer(world(), 4096).reduce(host, 5);

    const Tensor blocking = mine.to(gpu);
    GradientReducer(*nccl, 4096).reduce(blocking, 5);
    const std::vector<double> via_mpi = host.to_vector(), via_nccl = blocking.to(Device::cpu()).to_vector();
    const double tolerance = nccl->size() <= 2 ? 0.0 : (dtype == DType::f32 ? 1e-6 : 1e-14);
    for (size_t i = 0; i < n; ++i)
      ASSERT_LE(std::abs(via_nccl[i] - via_mpi[i]), tolerance * std::abs(via_mpi[i])) << dtype_name(dtype) << " " << i;

    const Tensor overlapped = mine.to(gpu);
    GradientReducer reducer(*nccl, 4096);
    reducer.start(overlapped, 5);
    const size_t parts[][2] = {{9000, n}, {0, 100}, {4000, 9000}, {100, 4000}};
    for (const auto& part : parts) reducer.ready(part[0], part[1]);
    reducer.finish();
    EXPECT_EQ(overlapped.to(Device::cpu()).to_vector(), via_nccl) << dtype_name(dtype);
  }
}

// The parameter broadcast from device memory: every rank ends with rank 0's values.
TEST(Nccl, BroadcastOfParametersOnTheDevice) {
  std::string reason;
  auto nccl = nccl_or_skip_reason(reason);
  if (!nccl) GTEST_SKIP() << reason;
  const Tensor flat = Tensor::from(gradient_of_rank(nccl->rank(), 777), {777}, DType::f32, Device::cuda(nccl->device()));
  broadcast_parameters(*nccl, flat);
  EXPECT_EQ(flat.to(Device::cpu()).to_vector(), Tensor::from(gradient_of_rank(0, 777), {777}).to_vector());
}

// A tensor off the communicator's GPU is refused with one line (never read as host memory).
TEST(Nccl, ReducerRefusesATensorOffItsDevice) {
  std::string reason;
  auto nccl = nccl_or_skip_reason(reason);
  if (!nccl) GTEST_SKIP() << reason;
  try {
    GradientReducer(*nccl).reduce(Tensor::zeros({3}), 1);
    ADD_FAILURE() << "reduced a host tensor through NCCL";
  } catch (const DistError& e) {
    EXPECT_EQ(std::string(e.what()), "rank " + std::to_string(nccl->rank()) +
                                         ": GradientReducer::reduce: tensor on cpu, the nccl communicator works on cuda:" +
                                         std::to_string(nccl->device()));
  }
}

}  // namespace
}  // namespace cz::dist

CZ_MPI_TEST_MAIN()
