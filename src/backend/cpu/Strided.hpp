// Strided iteration shared by the CPU kernels: rows of the innermost (coalesced) dimension.
#pragma once

#include <array>
#include <cstdint>

#include "cezanne/tensor/Tensor.hpp"

namespace cz::cpu {

/// Work below this many elements runs on one thread.
constexpr int64_t kParallelGrain = 1 << 15;

/// Calls f(offsets, n, inner_strides) for every row of the innermost dimension, where
/// offsets[k] is operand k's element offset of the row start. Dimensions that are contiguous
/// in every operand are merged first, so contiguous tensors form one long row per thread chunk.
template <size_t K, class F>
void for_each_row(const Shape& shape, const std::array<const Shape*, K>& strides, F&& f) {
  // Coalesce.
  int64_t dims[16], st[K][16];
  int nd = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (nd > 0) {
      bool merge = true;
      for (size_t k = 0; k < K; ++k)
        if (st[k][nd - 1] != (*strides[k])[d] * shape[d]) merge = false;
      if (merge) {
        dims[nd - 1] *= shape[d];
        for (size_t k = 0; k < K; ++k) st[k][nd - 1] = (*strides[k])[d];
        continue;
      }
    }
    dims[nd] = shape[d];
    for (size_t k = 0; k < K; ++k) st[k][nd] = (*strides[k])[d];
    ++nd;
  }
  std::array<int64_t, K> inner{};
  if (nd == 0) {
    std::array<int64_t, K> zero{};
    f(zero, int64_t{1}, inner);
    return;
  }
  const int64_t n = dims[nd - 1];
  for (size_t k = 0; k < K; ++k) inner[k] = st[k][nd - 1];
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; ++d) rows *= dims[d];
  if (rows == 0 || n == 0) return;

  auto row_offsets = [&](int64_t row) {
    std::array<int64_t, K> off{};
    for (int d = nd - 2; d >= 0; --d) {
      const int64_t i = row % dims[d];
      row /= dims[d];
      for (size_t k = 0; k < K; ++k) off[k] += i * st[k][d];
    }
    return off;
  };
  if (rows == 1) {
    // One long row: split it into chunks for the threads.
    const int64_t chunks = n >= 2 * kParallelGrain ? (n + kParallelGrain - 1) / kParallelGrain : 1;
#pragma omp parallel for if (chunks > 1) schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t begin = c * n / chunks, end = (c + 1) * n / chunks;
      std::array<int64_t, K> off{};
      for (size_t k = 0; k < K; ++k) off[k] = begin * inner[k];
      f(off, end - begin, inner);
    }
    return;
  }
#pragma omp parallel for if (rows * n >= 2 * kParallelGrain) schedule(static)
  for (int64_t r = 0; r < rows; ++r) f(row_offsets(r), n, inner);
}

}  // namespace cz::cpu

namespace cz::cpu {

template <class T>
struct TypeTag {
  using type = T;
};

/// Calls f(TypeTag<T>{}) with T the C++ type of a floating dtype (a lambda, so that OpenMP
/// pragmas can stand inside the kernel body).
template <class F>
void dispatch_floating(DType dtype, F&& f) {
  if (dtype == DType::f32) {
    f(TypeTag<float>{});
  } else if (dtype == DType::f64) {
    f(TypeTag<double>{});
  } else {
    throw DTypeError(std::string("cpu kernel: floating dtype expected, got ") + dtype_name(dtype));
  }
}

template <class F>
void dispatch_all(DType dtype, F&& f) {
  if (dtype == DType::i64) {
    f(TypeTag<int64_t>{});
  } else {
    dispatch_floating(dtype, std::forward<F>(f));
  }
}

}  // namespace cz::cpu
