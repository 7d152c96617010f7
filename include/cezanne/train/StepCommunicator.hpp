// The communicator a step's collectives run on: the world's (MPI or the single-process communicator), or
// NCCL over the same ranks when the parameters are on a GPU.
#pragma once

#include <memory>
#include <string>

#include "cezanne/dist/Communicator.hpp"
#include "cezanne/tensor/Device.hpp"

namespace cz::train {

/// "nccl" or "mpi" for --collectives `choice`, parameters on `device` and `ranks` ranks: auto is
/// nccl when the device is a GPU, this build has NCCL and there is more than one rank, else mpi
/// (one rank moves nothing: the reducer only divides, where the gradient lives). Throws
/// std::invalid_argument "--collectives: ..." for a choice other than auto, nccl and mpi, for
/// nccl off a GPU, and for nccl in a build without NCCL (whatever `ranks`).
std::string resolve_collectives(const std::string& choice, Device device, int ranks);

/// The communicator of a step on this rank (collective: every rank calls it with the same
/// `choice`): `world` itself for mpi (resolve_collectives with world's size; not owned), else
/// an NCCL communicator over world's ranks on
/// `device`, the parameters' GPU, so the gradient reducer and the differentiable collectives move
/// the parameters' memory in place; host buffers (counts, flags, metrics) still go through
/// `world`. `world` must outlive the result.
std::shared_ptr<dist::Communicator> step_communicator(const std::string& choice, dist::Communicator& world,
                                                      Device device);

}  // namespace cz::train
