// The CUDA-free part of the CUDA backend's kernel toolkit: the grid-stride loop, the block count
// for it, a tensor layout by value (Indexer), dtype dispatch and typed data pointers. No CUDA
// header: nvcc compiles it within the .cu files (through CudaBackend.cuh), and
// tests/backend/CudaEmulation.hpp runs the kernels written with it on the host, on machines
// without a GPU (there __host__ and __device__ are macros of the emulation).
#pragma once

#include <cstdint>
#include <string>

#include "cezanne/tensor/Error.hpp"
#include "cezanne/tensor/Tensor.hpp"

namespace cz::cuda {

/// Threads per block of the element-wise kernels.
constexpr int kThreads = 256;

/// Blocks for a grid-stride loop over n elements.
inline unsigned blocks_for(int64_t n, int threads = kThreads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535 ? 65535 : b));
}

/// Grid-stride loop over [0, n).
#define CZ_CUDA_LOOP(i, n)                                                                           \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

/// A tensor's layout by value, for a kernel argument: the element offset of linear index i of
/// `shape` (row-major) under `strides` (stride 0 where broadcast).
struct Indexer {
  static constexpr int kMaxDims = 8;
  int dims = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};

  __host__ __device__ int64_t offset(int64_t linear) const {
    int64_t off = 0;
    for (int d = dims - 1; d >= 0; --d) {
      const int64_t i = linear % shape[d];
      linear /= shape[d];
      off += i * strides[d];
    }
    return off;
  }
};

/// The layout of `t` over `shape` (t's strides; its shape must be `shape`, broadcast included).
/// Throws ShapeError beyond Indexer::kMaxDims dims. Inline, so that the host tests of the
/// kernels link without the CUDA backend.
inline Indexer indexer(const Shape& shape, const Shape& strides) {
  if (shape.size() > static_cast<size_t>(Indexer::kMaxDims))
    throw ShapeError("cuda backend: at most " + std::to_string(Indexer::kMaxDims) + " dims, got " +
                     std::to_string(shape.size()));
  Indexer ix;
  ix.dims = static_cast<int>(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    ix.shape[d] = shape[d];
    ix.strides[d] = strides[d];
  }
  return ix;
}
inline Indexer indexer(const Tensor& t) { return indexer(t.shape(), t.strides()); }

/// Calls f(T{}) with T the C++ type of a floating dtype; DTypeError otherwise.
template <class F>
void dispatch_floating(DType dtype, F&& f) {
  if (dtype == DType::f32) return f(float{});
  if (dtype == DType::f64) return f(double{});
  throw DTypeError(std::string("cuda backend: a floating dtype expected, got ") + dtype_name(dtype));
}

/// Calls f(T{}) with T the C++ type of any dtype.
template <class F>
void dispatch_all(DType dtype, F&& f) {
  if (dtype == DType::i64) return f(int64_t{});
  dispatch_floating(dtype, static_cast<F&&>(f));
}

template <class T>
T* data(Tensor& t) {
  return static_cast<T*>(t.raw_data());
}
template <class T>
const T* data(const Tensor& t) {
  return static_cast<const T*>(t.raw_data());
}

}  // namespace cz::cuda
