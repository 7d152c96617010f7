// CudaCheck.cuh — CZ_CHECK_CUDA / CZ_CHECK_CUBLAS: turn a failed CUDA call into an exception.
//
// Private to the CUDA backend (includes CUDA headers). Throws std::runtime_error whose message
// names the file, the line, the call and the CUDA error, so tests can catch it.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace cz::cuda::detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file,
                                          int line) {
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + call + ": " +
                           cudaGetErrorName(err) + ": " + cudaGetErrorString(err));
}

[[noreturn]] inline void throw_cublas_error(cublasStatus_t status, const char* call,
                                            const char* file, int line) {
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + call + ": " +
                           cublasGetStatusName(status) + ": " + cublasGetStatusString(status));
}

}  // namespace cz::cuda::detail

/// Evaluates a cudaError_t expression once; throws std::runtime_error unless cudaSuccess.
#define CZ_CHECK_CUDA(expr)                                                                \
  do {                                                                                     \
    const cudaError_t cz_check_cuda_err_ = (expr);                                         \
    if (cz_check_cuda_err_ != cudaSuccess) {                                               \
      ::cz::cuda::detail::throw_cuda_error(cz_check_cuda_err_, #expr, __FILE__, __LINE__); \
    }                                                                                      \
  } while (0)

/// Checks the last kernel launch (launch configuration errors; not asynchronous faults).
#define CZ_CHECK_CUDA_LAUNCH() CZ_CHECK_CUDA(cudaGetLastError())

/// Evaluates a cublasStatus_t expression once; throws unless CUBLAS_STATUS_SUCCESS.
#define CZ_CHECK_CUBLAS(expr)                                                                     \
  do {                                                                                            \
    const cublasStatus_t cz_check_cublas_status_ = (expr);                                        \
    if (cz_check_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                                       \
      ::cz::cuda::detail::throw_cublas_error(cz_check_cublas_status_, #expr, __FILE__, __LINE__); \
    }                                                                                             \
  } while (0)
