// Entry points of the MPI backend for Bootstrap.cpp (free of mpi.h on purpose).
#pragma once

#include <memory>
#include <string>

#include "cezanne/dist/Communicator.hpp"

namespace cz::dist::detail {

/// MPI_Init_thread(MPI_THREAD_FUNNELED) unless MPI is already initialized; true if this call
/// initialized it.
bool mpi_initialize(int* argc, char*** argv);
/// MPI_Finalize unless already finalized.
void mpi_finalize();
/// An MPI communicator over a duplicate of MPI_COMM_WORLD.
std::shared_ptr<Communicator> make_mpi_world();
/// MPI_Abort(MPI_COMM_WORLD, status) when MPI runs with more than one rank, else nothing.
void mpi_abort_world(int status);
/// MPI_Get_library_version, "" on failure.
std::string mpi_library_version();

}  // namespace cz::dist::detail
