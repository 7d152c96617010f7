// The main() of every *MpiTest: MPI through cz::dist::init, gtest output from rank 0, failures
// of other ranks printed with their rank, one exit status agreed by all ranks.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <sstream>

#include "cezanne/dist/Bootstrap.hpp"
#include "cezanne/dist/Communicator.hpp"

namespace cz::dist::test {

inline std::shared_ptr<Communicator>& world_ptr() {
  static std::shared_ptr<Communicator> world;
  return world;
}
/// The world communicator of the test process.
inline Communicator& world() { return *world_ptr(); }

/// Prints each failed assertion of a rank other than 0, prefixed with the rank.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::ostringstream line;
    line << "[rank " << rank_ << "] " << (result.file_name() ? result.file_name() : "?") << ":" << result.line_number()
         << ": Failure\n" << result.summary() << "\n";
    std::fputs(line.str().c_str(), stderr);
    std::fflush(stderr);
  }

 private:
  int rank_;
};

/// A test that fails on one rank and then skips a collective would leave the others waiting:
/// the watchdog turns that into an abort naming the collective, well before ctest's timeout.
constexpr double kTestWatchdogSeconds = 120.0;

inline int mpi_test_main(int argc, char** argv) {
  auto comm = init(&argc, &argv, {.watchdog_seconds = kTestWatchdogSeconds});
  world_ptr() = comm;
  ::testing::InitGoogleTest(&argc, argv);
  if (comm->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(comm->rank()));
  }
  const int local = RUN_ALL_TESTS() != 0 ? 1 : 0;
  const int failed = comm->allreduce_value<int32_t>(local, ReduceOp::max);
  world_ptr().reset();
  comm.reset();
  finalize();
  return failed;
}

}  // namespace cz::dist::test

#define CZ_MPI_TEST_MAIN() \
  int main(int argc, char** argv) { return ::cz::dist::test::mpi_test_main(argc, argv); }
