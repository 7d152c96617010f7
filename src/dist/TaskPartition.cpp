// Partition of a meta-batch by global task index.
#include "cezanne/dist/TaskPartition.hpp"

#include <numeric>
#include <stdexcept>
#include <string>

namespace cz {
namespace {

void check(int64_t meta_batch, int rank, int world) {
  if (world < 1 || rank < 0 || rank >= world || meta_batch < 0)
    throw std::invalid_argument("owned_tasks: need meta_batch >= 0 and 0 <= rank < world, got meta_batch " +
                                std::to_string(meta_batch) + ", rank " + std::to_string(rank) + ", world " +
                                std::to_string(world));
}

}  // namespace

int64_t first_owned_task(int64_t meta_batch, int rank, int world) {
  check(meta_batch, rank, world);
  const int64_t base = meta_batch / world, extra = meta_batch % world;
  return rank * base + std::min<int64_t>(rank, extra);
}

std::vector<int64_t> owned_tasks(int64_t meta_batch, int rank, int world) {
  const int64_t first = first_owned_task(meta_batch, rank, world);
  const int64_t count = meta_batch / world + (rank < meta_batch % world ? 1 : 0);
  std::vector<int64_t> tasks(static_cast<size_t>(count));
  std::iota(tasks.begin(), tasks.end(), first);
  return tasks;
}

}  // namespace cz
