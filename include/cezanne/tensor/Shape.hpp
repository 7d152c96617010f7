// Shapes, strides and broadcasting rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cz {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& shape);
std::string shape_str(const Shape& shape);
/// Row-major strides (in elements) of a contiguous tensor of `shape`.
Shape contiguous_strides(const Shape& shape);
/// NumPy broadcasting of two shapes; throws ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
/// Wraps a possibly negative dimension index into [0, rank); throws ShapeError naming `op`.
int64_t wrap_dim(int64_t dim, int64_t rank, const char* op);

}  // namespace cz
