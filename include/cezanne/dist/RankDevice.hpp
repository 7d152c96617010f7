// The device of a rank: one rank per GPU, chosen the same way for tensors and for NCCL.
#pragma once

#include <string>

#include "cezanne/tensor/Device.hpp"

namespace cz::dist {

/// The CUDA device of node-local rank `local_rank` when `device_count` devices are visible:
/// local_rank mod device_count. A node with as many ranks as GPUs gives each rank its own; with
/// one visible device per rank (Slurm's --gpus-per-task=1, CUDA_VISIBLE_DEVICES set per rank)
/// every rank takes its device 0. -1 when no device is visible. The NCCL communicator picks its
/// device with this function too.
int local_device_index(int local_rank, int device_count);

/// The device `text` (a --device value) names for node-local rank `local_rank`: "cuda" without
/// an index is cuda:local_device_index(local_rank, device_count) (cuda:0 when none is visible,
/// which the backend then refuses with its own message); any other text is parse_device(text),
/// an explicit cuda:N as given. Throws DeviceError for a text parse_device does not know.
Device rank_device(const std::string& text, int local_rank, int device_count);

/// This process's node-local rank as its launcher tells it, readable before MPI starts: Open
/// MPI's OMPI_COMM_WORLD_LOCAL_RANK, else MPICH's MPI_LOCALRANKID, else Slurm's SLURM_LOCALID
/// (srun), else 0 (one process).
int launcher_local_rank();

/// rank_device(text, launcher_local_rank(), the visible CUDA devices): what --device means on
/// this rank of `train`, `eval` and `bench step`.
Device rank_device(const std::string& text);

}  // namespace cz::dist
