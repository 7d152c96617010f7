// Entry point of the NCCL backend for Bootstrap.cpp (free of NCCL and CUDA headers).
#pragma once

#include <memory>
#include <string>

#include "cezanne/dist/Communicator.hpp"

namespace cz::dist::detail {

/// See make_nccl_communicator in cezanne/dist/Bootstrap.hpp.
std::shared_ptr<Communicator> make_nccl(Communicator& mpi, int device);

/// See nccl_device_problem in cezanne/dist/Bootstrap.hpp.
std::string nccl_device_problem(Communicator& mpi, int device);

/// data[i] /= divisor on the current device, on `stream` (a cudaStream_t). NcclKernels.cu.
void divide_on_device(void* data, size_t count, DataType type, double divisor, void* stream);

}  // namespace cz::dist::detail
