// The single-process stub: collectives over one rank are copies or nothing.
#include "dist/backend/stub/StubCommunicator.hpp"

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cezanne/dist/Log.hpp"

namespace cz::dist::detail {

void StubCommunicator::allreduce(void*, size_t, DataType, ReduceOp) {}

void StubCommunicator::allgather(const void* send, size_t count, void* recv, DataType type) {
  if (count > 0 && send != recv) std::memmove(recv, send, count * data_type_size(type));
}

void StubCommunicator::allgatherv(const void* send, void* recv, const std::vector<size_t>& counts, DataType type) {
  if (counts.size() != 1) throw DistError(with_rank(0, "allgatherv: " + std::to_string(counts.size()) + " counts for 1 rank"));
  allgather(send, counts[0], recv, type);
}

void StubCommunicator::broadcast(void*, size_t, DataType, int root) {
  if (root != 0) throw DistError(with_rank(0, "broadcast: root " + std::to_string(root) + " outside [0, 1)"));
}

void StubCommunicator::abort(const std::string& message) {
  error(*this, message);
  std::cout.flush();
  std::_Exit(1);
}

}  // namespace cz::dist::detail
