// Collectives of the MPI backend at 1, 2 and 4 ranks: values, sizes, checks.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <limits>
#include <thread>
#include <numeric>
#include <vector>

#include "cezanne/dist/Failure.hpp"
#include "dist/MpiTestMain.hpp"

namespace cz::dist {
namespace {

using test::world;

// Sizes around the powers of two and the MPI chunking, including empty buffers.
const std::vector<size_t> kSizes = {0, 1, 2, 3, 7, 64, 255, 1000, 4097, 65536, (size_t{1} << 20) + 3};

TEST(Communicator, RankSizeAndLocalRank) {
  Communicator& c = world();
  EXPECT_STREQ(c.backend(), "mpi");  // ctest starts every *MpiTest under mpirun
  const char* env_size = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (env_size) {
    EXPECT_EQ(c.size(), std::atoi(env_size));
  }
  EXPECT_GE(c.rank(), 0);
  EXPECT_LT(c.rank(), c.size());
  EXPECT_GE(c.local_rank(), 0);
  EXPECT_LT(c.local_rank(), c.local_size());
  // One node: local ranks are the world ranks.
  EXPECT_EQ(c.local_size(), c.size());
  EXPECT_EQ(c.local_rank(), c.rank());
  EXPECT_FALSE(c.device_buffers());
}

template <class T>
void check_allreduce_sum(size_t n) {
  Communicator& c = world();
  const int P = c.size();
  std::vector<T> v(n);
  // Small integers: every partial sum is exact, so any summation order gives the same bits.
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>((c.rank() + 1) * static_cast<int>(i % 7 + 1));
  c.allreduce_sum(std::span<T>(v));
  const T ranks = static_cast<T>(P * (P + 1) / 2);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(v[i], ranks * static_cast<T>(i % 7 + 1)) << "element " << i << " of " << n;
  }
}

TEST(Communicator, AllreduceSumManySizesF32) {
  for (size_t n : kSizes) check_allreduce_sum<float>(n);
}
TEST(Communicator, AllreduceSumManySizesF64) {
  for (size_t n : kSizes) check_allreduce_sum<double>(n);
}
TEST(Communicator, AllreduceSumManySizesI64) {
  for (size_t n : kSizes) check_allreduce_sum<int64_t>(n);
}

TEST(Communicator, AllreduceMinMax) {
  Communicator& c = world();
  EXPECT_EQ(c.allreduce_value<int64_t>(10 + c.rank(), ReduceOp::min), 10);
  EXPECT_EQ(c.allreduce_value<int64_t>(10 + c.rank(), ReduceOp::max), 10 + c.size() - 1);
  EXPECT_EQ(c.allreduce_value<double>(0.5 * c.rank(), ReduceOp::max), 0.5 * (c.size() - 1));
}

TEST(Communicator, AllgatherEqualCounts) {
  Communicator& c = world();
  for (size_t n : {size_t{0}, size_t{1}, size_t{5}, size_t{1000}}) {
    std::vector<double> mine(n);
    for (size_t i = 0; i < n; ++i) mine[i] = 1000.0 * c.rank() + static_cast<double>(i);
    const auto all = c.allgather_checked<double>(mine);
    ASSERT_EQ(all.size(), n * static_cast<size_t>(c.size()));
    for (int r = 0; r < c.size(); ++r)
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(all[static_cast<size_t>(r) * n + i], 1000.0 * r + static_cast<double>(i));
  }
}

TEST(Communicator, AllgatherVaryingCounts) {
  Communicator& c = world();
  // Rank r sends r elements (rank 0 none).
  std::vector<float> mine(static_cast<size_t>(c.rank()), static_cast<float>(c.rank()));
  const auto counts = c.allgather_counts(mine.size());
  ASSERT_EQ(counts.size(), static_cast<size_t>(c.size()));
  for (int r = 0; r < c.size(); ++r) EXPECT_EQ(counts[static_cast<size_t>(r)], static_cast<size_t>(r));
  std::vector<float> all(std::accumulate(counts.begin(), counts.end(), size_t{0}));
  c.allgatherv(mine.data(), all.data(), counts, DataType::f32);
  size_t k = 0;
  for (int r = 0; r < c.size(); ++r)
    for (int i = 0; i < r; ++i) EXPECT_EQ(all[k++], static_cast<float>(r));
}

TEST(Communicator, BroadcastFromEveryRoot) {
  Communicator& c = world();
  for (int root = 0; root < c.size(); ++root) {
    std::vector<int64_t> v(100, c.rank() == root ? 7 * root + 1 : -1);
    c.broadcast(std::span<int64_t>(v), root);
    for (int64_t x : v) ASSERT_EQ(x, 7 * root + 1);
  }
}

TEST(Communicator, BroadcastBadRootThrows) {
  std::vector<int64_t> v(1);
  EXPECT_THROW(world().broadcast(std::span<int64_t>(v), world().size()), DistError);
}

TEST(Communicator, MismatchedSizesAreReportedOnEveryRank) {
  Communicator& c = world();
  std::vector<float> v(static_cast<size_t>(3 + c.rank()), 1.0f);
  if (c.size() == 1) {  // one rank cannot disagree with itself
    EXPECT_NO_THROW(c.allreduce_sum(std::span<float>(v)));
    return;
  }
  try {
    c.allreduce_sum(std::span<float>(v));
    FAIL() << "no error";
  } catch (const DistError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("rank " + std::to_string(c.rank()) + ": allreduce: buffer size differs across ranks (min 3, max " +
                        std::to_string(3 + c.size() - 1) + ";"),
              std::string::npos)
        << what;
  }
  // The buffers were not touched, and the communicator is still usable.
  for (float x : v) EXPECT_EQ(x, 1.0f);
  std::vector<float> w(4, 1.0f);
  c.allreduce_sum(std::span<float>(w));
  EXPECT_EQ(w[3], static_cast<float>(c.size()));
}

TEST(Communicator, AllgatherCheckedMismatchThrows) {
  Communicator& c = world();
  std::vector<double> v(static_cast<size_t>(c.rank() == 0 ? 2 : 1));
  if (c.size() == 1) {
    EXPECT_EQ(c.allgather_checked<double>(v).size(), 2u);
    return;
  }
  EXPECT_THROW(c.allgather_checked<double>(v), DistError);
}

TEST(Communicator, AllFiniteIsOneDecision) {
  Communicator& c = world();
  EXPECT_TRUE(all_finite(c, true));
  // Only the last rank sees a NaN: every rank must decide "not finite".
  std::vector<double> grad(10, 1.0);
  if (c.rank() == c.size() - 1) grad[3] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(all_finite(c, is_finite(grad.data(), grad.size())));
  std::vector<float> g32(3, 1.0f);
  if (c.rank() == 0) g32[0] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(all_finite(c, is_finite(g32.data(), g32.size())));
}

TEST(Communicator, WatchdogIsIdleBetweenCollectives) {
  Communicator& c = world();
  const double before = c.watchdog_seconds();
  c.set_watchdog_seconds(2.0);
  for (int i = 0; i < 20; ++i) c.barrier();
  EXPECT_EQ(c.collective_in_progress(), nullptr);
  // Slow work outside a collective never trips the watchdog.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  c.barrier();
  c.set_watchdog_seconds(before);
}

}  // namespace
}  // namespace cz::dist

CZ_MPI_TEST_MAIN()
