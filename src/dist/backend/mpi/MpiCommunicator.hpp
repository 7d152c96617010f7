// The MPI backend: collectives on host buffers over an MPI communicator.
#pragma once

#include <mpi.h>

#include "cezanne/dist/Communicator.hpp"

namespace cz::dist::detail {

class MpiCommunicator final : public Communicator {
 public:
  /// Duplicates `parent`, sets MPI_ERRORS_RETURN on the duplicate, finds the local rank.
  explicit MpiCommunicator(MPI_Comm parent);
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  const char* backend() const override { return "mpi"; }

  void allreduce(void* data, size_t count, DataType type, ReduceOp op) override;
  std::unique_ptr<PendingCollective> start_allreduce(void* data, size_t count, DataType type, ReduceOp op) override;
  void allgather(const void* send, size_t count, void* recv, DataType type) override;
  void allgatherv(const void* send, void* recv, const std::vector<size_t>& counts, DataType type) override;
  void broadcast(void* data, size_t count, DataType type, int root) override;
  void barrier() override;
  [[noreturn]] void abort(const std::string& message) override;

  MPI_Comm comm() const { return comm_; }

 private:
  class Pending;  // MPI_Iallreduce requests under the watchdog
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
};

}  // namespace cz::dist::detail
