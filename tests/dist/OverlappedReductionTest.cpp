// GradientReducer overlapped with backward: buckets launched in the fixed order (last first), each
// only once all its elements are ready, and the rest at finish(); seen through a communicator
// that records every launch.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cezanne/dist/GradientReducer.hpp"

namespace cz::dist {
namespace {

// One rank. Records each start_allreduce: the bucket's first element and its values at launch.
class RecordingCommunicator final : public Communicator {
 public:
  struct Launch {
    const float* begin;
    std::vector<float> values;
  };
  std::vector<Launch> launches;
  int waits = 0;

  ~RecordingCommunicator() override { stop_watchdog(); }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  const char* backend() const override { return "recording"; }
  void allreduce(void*, size_t, DataType, ReduceOp) override {}
  std::unique_ptr<PendingCollective> start_allreduce(void* data, size_t count, DataType type, ReduceOp) override {
    EXPECT_EQ(type, DataType::f32);
    const auto* f = static_cast<const float*>(data);
    launches.push_back({f, std::vector<float>(f, f + count)});
    return std::make_unique<Counted>(waits);
  }
  void allgather(const void*, size_t, void*, DataType) override {}
  void allgatherv(const void*, void*, const std::vector<size_t>&, DataType) override {}
  void broadcast(void*, size_t, DataType, int) override {}
  void barrier() override {}
  [[noreturn]] void abort(const std::string& message) override { throw DistError(message); }

 private:
  class Counted final : public PendingCollective {
   public:
    explicit Counted(int& waits) : waits_(waits) {}
    void wait() override { ++waits_; }
    bool test() override { return false; }  // complete only once waited for

   private:
    int& waits_;
  };
};

constexpr float kNotYet = std::numeric_limits<float>::quiet_NaN();

// What a parameter's accumulated hook does: its final local gradient, then ready().
void settle(std::vector<float>& g, GradientReducer& reducer, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) g[i] = static_cast<float>(i + 1);
  reducer.ready(begin, end);
}

TEST(OverlappedReduction, BucketsLaunchLastFirstOnceTheirGradientsAreFinal) {
  RecordingCommunicator comm;
  // Ten elements, buckets of two: [0,2) [2,4) [4,6) [6,8) [8,10). Parameters A [0,3), B [3,7),
  // C [7,10), settled as backward settles them: C (near the outputs) first, A last.
  GradientReducer reducer(comm, 2 * sizeof(float));
  std::vector<float> g(10, kNotYet);
  reducer.start(std::span<float>(g), 4);
  EXPECT_TRUE(comm.launches.empty());
  settle(g, reducer, 7, 10);
  ASSERT_EQ(comm.launches.size(), 1u);  // bucket 4; bucket 3 still waits for B's element 6
  EXPECT_EQ(comm.launches[0].begin, g.data() + 8);
  settle(g, reducer, 0, 3);
  EXPECT_EQ(comm.launches.size(), 1u);  // bucket 0 is final, but 3, 2 and 1 come before it
  settle(g, reducer, 3, 7);
  ASSERT_EQ(comm.launches.size(), 5u);
  EXPECT_EQ(comm.waits, 0);
  for (size_t k = 0; k < 5; ++k) {
    const size_t bucket = 4 - k;
    EXPECT_EQ(comm.launches[k].begin, g.data() + 2 * bucket) << "launch " << k;
    // Every element of the bucket was final when it left.
    EXPECT_EQ(comm.launches[k].values, (std::vector<float>{2.0f * bucket + 1, 2.0f * bucket + 2})) << "launch " << k;
  }
  reducer.finish();
  EXPECT_EQ(comm.waits, 5);
  EXPECT_EQ(reducer.allreduce_calls(), 5);
  EXPECT_EQ(reducer.overlapped_calls(), 5);
  for (size_t i = 0; i < g.size(); ++i) EXPECT_EQ(g[i], static_cast<float>(i + 1) / 4.0f);
  EXPECT_FALSE(reducer.started());
}

TEST(OverlappedReduction, FinishLaunchesWhatNoGradientReachedInOrder) {
  RecordingCommunicator comm;
  GradientReducer reducer(comm, 2 * sizeof(float));
  std::vector<float> g(6, 0.0f);
  reducer.start(std::span<float>(g), 1);
  settle(g, reducer, 0, 4);  // [4, 6) never gets a gradient (a frozen or unused parameter)
  EXPECT_TRUE(comm.launches.empty());
  reducer.finish();
  ASSERT_EQ(comm.launches.size(), 3u);
  EXPECT_EQ(comm.launches[0].begin, g.data() + 4);
  EXPECT_EQ(comm.launches[1].begin, g.data() + 2);
  EXPECT_EQ(comm.launches[2].begin, g.data() + 0);
  EXPECT_EQ(reducer.overlapped_calls(), 0);
}

TEST(OverlappedReduction, BlockingReduceMakesTheSameLaunches) {
  RecordingCommunicator comm;
  GradientReducer reducer(comm, 3 * sizeof(float));
  std::vector<float> g = {1, 2, 3, 4, 5, 6, 7};
  reducer.reduce(std::span<float>(g), 2);
  ASSERT_EQ(comm.launches.size(), 3u);
  EXPECT_EQ(comm.launches[0].begin, g.data() + 6);
  EXPECT_EQ(comm.launches[1].begin, g.data() + 3);
  EXPECT_EQ(comm.launches[2].begin, g.data() + 0);
  EXPECT_EQ(g, (std::vector<float>{0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f}));
}

TEST(OverlappedReduction, MisuseIsNamed) {
  RecordingCommunicator comm;
  GradientReducer reducer(comm, 8);
  std::vector<float> g(4, 0.0f);
  auto message = [](const auto& f) {
    try {
      f();
    } catch (const DistError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { reducer.ready(0, 1); }), "rank 0: GradientReducer::ready: no reduction started");
  EXPECT_EQ(message([&] { reducer.finish(); }), "rank 0: GradientReducer::finish: no reduction started");
  reducer.start(std::span<float>(g), 1);
  EXPECT_EQ(message([&] { reducer.start(std::span<float>(g), 1); }),
            "rank 0: GradientReducer::start: a reduction is already in flight");
  EXPECT_EQ(message([&] { reducer.ready(3, 5); }),
            "rank 0: GradientReducer::ready: elements [3, 5) outside the buffer of 4");
  reducer.ready(0, 1);
  EXPECT_EQ(message([&] { reducer.ready(0, 2); }), "rank 0: GradientReducer::ready: bucket 0 declared ready twice");
}

}  // namespace
}  // namespace cz::dist
