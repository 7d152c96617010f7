// The fused meta-gradient allreduce: buckets, sum-then-divide, uneven shares, checks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "cezanne/dist/GradientReducer.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "dist/MpiTestMain.hpp"

namespace cz::dist {
namespace {

using test::world;

TEST(GradientReducer, BucketsCoverTheBufferInOrder) {
  GradientReducer reducer(world(), 100);  // 25 f32 or 12 f64 per bucket
  EXPECT_TRUE(reducer.buckets(0, 4).empty());
  const auto b = reducer.buckets(51, 4);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], (std::pair<size_t, size_t>{0, 25}));
  EXPECT_EQ(b[1], (std::pair<size_t, size_t>{25, 50}));
  EXPECT_EQ(b[2], (std::pair<size_t, size_t>{50, 51}));
  EXPECT_EQ(reducer.buckets(24, 8).size(), 2u);
  // A bucket smaller than one element still moves one element at a time.
  EXPECT_EQ(GradientReducer(world(), 1).buckets(3, 8).size(), 3u);
  EXPECT_EQ(GradientReducer(world()).bucket_bytes(), size_t{25} << 20);
}

template <class T>
void check_reduce(size_t n, size_t bucket_bytes, int64_t global) {
  Communicator& c = world();
  const int P = c.size();
  std::vector<T> g(n);
  for (size_t i = 0; i < n; ++i) g[i] = static_cast<T>((c.rank() + 1) * static_cast<int>(i % 5 + 1));
  GradientReducer reducer(c, bucket_bytes);
  reducer.reduce(std::span<T>(g), global);
  EXPECT_EQ(reducer.allreduce_calls(), static_cast<int64_t>(reducer.buckets(n, sizeof(T)).size()));
  for (size_t i = 0; i < n; ++i) {
    // The integer sum is exact; the division is the one rounding, as on one process.
    const T expected = static_cast<T>(P * (P + 1) / 2 * static_cast<int>(i % 5 + 1)) / static_cast<T>(global);
    ASSERT_EQ(g[i], expected) << "n " << n << " bucket " << bucket_bytes << " element " << i;
  }
}

TEST(GradientReducer, SumsAndDividesManySizesAndBuckets) {
  for (size_t bucket : {size_t{4}, size_t{96}, size_t{4096}, size_t{1} << 20, GradientReducer::kDefaultBucketBytes}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{23}, size_t{24}, size_t{25}, size_t{1000}, size_t{262147}}) {
      if (bucket == 4 && n > 1000) continue;  // one MPI call per element: slow, nothing new
      check_reduce<float>(n, bucket, 6);
      check_reduce<double>(n, bucket, 7);
    }
  }
}

TEST(GradientReducer, OverlappedEqualsBlockingBitwise) {
  // Rank-dependent values whose sum rounds differently in every order; parts of the buffer
  // declared ready in a scrambled order, as parameters settle in backward.
  Communicator& c = world();
  const size_t n = 5000;
  std::vector<float> blocking(n);
  for (size_t i = 0; i < n; ++i)
    blocking[i] = std::sin(static_cast<float>(i) * 0.37f + static_cast<float>(c.rank())) * (1.0f + 1e-3f * c.rank());
  std::vector<float> overlapped = blocking;
  GradientReducer(c, 400).reduce(std::span<float>(blocking), 9);
  GradientReducer reducer(c, 400);
  reducer.start(std::span<float>(overlapped), 9);
  const std::vector<std::pair<size_t, size_t>> parts = {{4000, 5000}, {1234, 4000}, {0, 17}, {17, 1234}};
  for (const auto& [begin, end] : parts) reducer.ready(begin, end);
  EXPECT_EQ(reducer.overlapped_calls(), reducer.allreduce_calls());
  reducer.finish();
  EXPECT_EQ(std::memcmp(blocking.data(), overlapped.data(), n * sizeof(float)), 0);
}

TEST(GradientReducer, UnevenSharesAreAveragedByTheGlobalCount) {
  // Meta-batch 7 over P ranks: each rank adds the gradients of the tasks it owns; task t's
  // gradient is t + i, so the mean over the meta-batch is 3 + i at any P.
  Communicator& c = world();
  const int64_t meta_batch = 7;
  std::vector<double> g(10, 0.0);
  for (int64_t t : owned_tasks(meta_batch, c.rank(), c.size()))
    for (size_t i = 0; i < g.size(); ++i) g[i] += static_cast<double>(t) + static_cast<double>(i);
  GradientReducer(c, 16).reduce(std::span<double>(g), meta_batch);
  for (size_t i = 0; i < g.size(); ++i) EXPECT_DOUBLE_EQ(g[i], 3.0 + static_cast<double>(i));
}

TEST(GradientReducer, MismatchedBufferSizesAreDetected) {
  Communicator& c = world();
  std::vector<float> g(static_cast<size_t>(c.rank() == 1 ? 9 : 8), 2.0f);
  GradientReducer reducer(c, 8);
  if (c.size() == 1) {  // one rank cannot disagree with itself
    reducer.reduce(std::span<float>(g), 4);
    EXPECT_EQ(g[0], 0.5f);
    return;
  }
  try {
    reducer.reduce(std::span<float>(g), 4);
    FAIL() << "no error";
  } catch (const DistError& e) {
    EXPECT_NE(std::string(e.what()).find("GradientReducer::reduce: buffer size differs across ranks (min 8, max 9"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(reducer.allreduce_calls(), 0);
  for (float x : g) EXPECT_EQ(x, 2.0f);
}

TEST(GradientReducer, RejectsAnEmptyMetaBatch) {
  std::vector<float> g(3, 1.0f);
  EXPECT_THROW(GradientReducer(world()).reduce(std::span<float>(g), 0), DistError);
}

TEST(GradientReducer, ReducesTensorsInPlace) {
  Communicator& c = world();
  for (DType dtype : {DType::f32, DType::f64}) {
    Tensor flat = Tensor::full({1001}, c.rank() + 1.0, dtype);
    const Tensor view = flat.slice(0, 0, 1001);  // views share the buffer
    GradientReducer(c, 256).reduce(flat, 4);
    const double expected = c.size() * (c.size() + 1) / 2.0 / 4.0;
    for (double x : view.to_vector()) ASSERT_EQ(x, expected);
  }
}

TEST(GradientReducer, RejectsNonContiguousAndIntegerTensors) {
  Communicator& c = world();
  Tensor strided = Tensor::zeros({4, 4}, DType::f32).transpose(0, 1);
  EXPECT_THROW(GradientReducer(c).reduce(strided, 2), DistError);
  EXPECT_THROW(GradientReducer(c).reduce(Tensor::zeros({3}, DType::i64), 2), DistError);
}

TEST(GradientReducer, BroadcastParametersFromRankZero) {
  Communicator& c = world();
  Tensor flat = Tensor::full({77}, 10.0 + c.rank(), DType::f32);
  broadcast_parameters(c, flat);
  for (double x : flat.to_vector()) ASSERT_EQ(x, 10.0);
}

}  // namespace
}  // namespace cz::dist

CZ_MPI_TEST_MAIN()
