// The single-process stub: a world of one rank, so everything links and runs without mpirun.
#pragma once

#include "cezanne/dist/Communicator.hpp"

namespace cz::dist::detail {

class StubCommunicator final : public Communicator {
 public:
  ~StubCommunicator() override { stop_watchdog(); }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  const char* backend() const override { return "stub"; }

  void allreduce(void* data, size_t count, DataType type, ReduceOp op) override;
  void allgather(const void* send, size_t count, void* recv, DataType type) override;
  void allgatherv(const void* send, void* recv, const std::vector<size_t>& counts, DataType type) override;
  void broadcast(void* data, size_t count, DataType type, int root) override;
  void barrier() override {}
  [[noreturn]] void abort(const std::string& message) override;
};

}  // namespace cz::dist::detail
