// One rank per GPU: the node-local rank picks the device.
#include "cezanne/dist/RankDevice.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "cezanne/backend/CudaRuntime.hpp"

namespace cz::dist {

int local_device_index(int local_rank, int device_count) {
  if (device_count <= 0 || local_rank < 0) return -1;
  return local_rank % device_count;
}

Device rank_device(const std::string& text, int local_rank, int device_count) {
  if (text != "cuda") return parse_device(text);
  const int index = local_device_index(local_rank, device_count);
  return Device::cuda(index < 0 ? 0 : index);
}

int launcher_local_rank() {
  // The MPI launchers' own first: mpirun or mpiexec inside a Slurm job inherits the batch
  // step's SLURM_LOCALID (0 on every rank); srun sets it per task.
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    const char* value = std::getenv(name);
    if (value == nullptr) continue;
    int rank = 0;
    const char* end = value + std::strlen(value);
    const auto [last, ec] = std::from_chars(value, end, rank);
    if (ec == std::errc() && last == end && last != value && rank >= 0) return rank;
  }
  return 0;
}

Device rank_device(const std::string& text) {
  // The device count is asked only for "cuda": it initializes the CUDA driver.
  if (text != "cuda") return parse_device(text);
  return rank_device(text, launcher_local_rank(), cz::cuda::device_count());
}

}  // namespace cz::dist
