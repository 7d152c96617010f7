// Element types of tensors.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cz {

/// Element type. Floating types carry values; i64 carries indices and labels.
enum class DType : uint8_t { f32, f64, i64 };

constexpr size_t dtype_size(DType t) { return t == DType::f32 ? 4 : 8; }
constexpr bool is_floating(DType t) { return t != DType::i64; }
const char* dtype_name(DType t);

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::f32; }
template <>
constexpr DType dtype_of<double>() { return DType::f64; }
template <>
constexpr DType dtype_of<int64_t>() { return DType::i64; }

}  // namespace cz
