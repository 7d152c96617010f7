// CZ_CHECK_MPI: turn an MPI error code into a DistError naming file, line, rank and call.
#pragma once

#include <mpi.h>

#include <string>

#include "cezanne/dist/Communicator.hpp"

namespace cz::dist::detail {

/// Rank in MPI_COMM_WORLD, or -1 before MPI_Init / after MPI_Finalize.
int mpi_world_rank();
[[noreturn]] void throw_mpi_error(int code, const char* call, const char* file, int line);

}  // namespace cz::dist::detail

/// Runs an MPI call (the communicator must use MPI_ERRORS_RETURN) and throws on failure.
#define CZ_CHECK_MPI(call)                                                            \
  do {                                                                                \
    const int cz_mpi_rc_ = (call);                                                    \
    if (cz_mpi_rc_ != MPI_SUCCESS)                                                    \
      ::cz::dist::detail::throw_mpi_error(cz_mpi_rc_, #call, __FILE__, __LINE__);     \
  } while (0)
