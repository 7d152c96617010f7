// Start-up and shut-down of the distributed runtime: mpirun, srun --mpi=pmix, or one process.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cezanne/dist/Communicator.hpp"

namespace cz::dist {

struct InitOptions {
  /// Seconds a collective may block before every rank is aborted; 0 disables. A negative
  /// value means "read CEZANNE_WATCHDOG_SECONDS from the environment, else 0".
  double watchdog_seconds = -1.0;
  /// Seconds MPI start-up (MPI_Init and the world communicator) may take before this rank
  /// exits with status 1 and "MPI start-up blocked for N s": a rank that never reaches
  /// MPI_Init (stopped, hung in its own set-up) would otherwise keep the others waiting in it
  /// forever, where no collective watchdog runs. 0: no limit. Time this rank itself spends
  /// stopped does not count.
  double startup_seconds = 0.0;
};

/// CEZANNE_WATCHDOG_SECONDS when it holds a number >= 0, else std::nullopt (`train` and
/// `eval` take it as the default of their --watchdog).
std::optional<double> watchdog_seconds_from_env();

/// True when this process was started by a parallel launcher: Open MPI's mpirun
/// (OMPI_COMM_WORLD_SIZE), a PMIx or PMI launcher (PMIX_RANK, PMI_RANK; srun --mpi=pmix), or
/// Slurm with more than one task (SLURM_NTASKS > 1).
bool launched_in_parallel();

/// The world communicator. Under a parallel launcher: MPI_Init_thread (MPI_THREAD_FUNNELED:
/// only the thread that called init makes MPI calls) unless MPI is already initialized, then an
/// MPI communicator over a duplicate of MPI_COMM_WORLD with MPI_ERRORS_RETURN. Otherwise the
/// single-process stub. A second call returns the same communicator.
/// Throws DistError when srun started several tasks but MPI sees one rank (srun without
/// --mpi=pmix starts independent singletons, which would silently train P separate models).
std::shared_ptr<Communicator> init(int* argc, char*** argv, InitOptions options = {});

/// Calls MPI_Finalize if init() initialized MPI. Communicators must not be used afterwards.
/// MPI_Finalize waits for every rank; when it has not returned within `limit_seconds` (a rank
/// stopped or hung after its last collective; 0: no limit) this rank prints "MPI shut-down
/// blocked for N s" and exits with status 1, so that the launcher ends the job.
void finalize(double limit_seconds = 0.0);

/// Ends every rank with exit status `status` (MPI_Abort on the world) when MPI is running
/// (initialized, not finalized) with more than one rank; otherwise returns without doing
/// anything. For an error that must not leave other ranks waiting in a collective.
void abort_world(int status);

/// The MPI library's version text (MPI_Get_library_version, which MPI allows before init, so
/// this never starts an MPI runtime); "" when the call fails.
std::string mpi_library_version();

/// Whether this build has the NCCL backend (CEZANNE_WITH_NCCL).
bool nccl_built();

/// Collective over `mpi`: empty when every rank has a GPU of its own for NCCL (the device
/// make_nccl_communicator picks with the same `device`, no two ranks on the same GPU, compared
/// by UUID); otherwise one line naming the first problem, the same on every rank. Without NCCL
/// in the build it says so.
std::string nccl_device_problem(Communicator& mpi, int device = -1);

/// An NCCL communicator over the same ranks as `mpi` (an MPI communicator, or the
/// single-process communicator) on CUDA device `device` of this rank (the parameters' device), or, when
/// -1, the local rank's (dist::local_device_index, as --device cuda picks it). The NCCL unique
/// id is broadcast from rank 0 over `mpi`. Throws DistError naming the rank when this build has
/// no NCCL, when nccl_device_problem finds one (no such device, or two ranks on one GPU), or
/// when NCCL fails. `mpi` must outlive the result.
std::shared_ptr<Communicator> make_nccl_communicator(Communicator& mpi, int device = -1);

}  // namespace cz::dist
