// The store's bytes as the model's floats: one image uint8 [H, W, C] -> f32 [C, H, W].
#pragma once

#include <cstdint>

#include "cezanne/data/Store.hpp"

namespace cz::data::detail {

/// Each value float(b) / 255, rotated counter-clockwise by k*90 degrees (numpy.rot90(image, k)
/// convention; H == W when k != 0): out[y][x] = in[src(y, x)]. Every task source uses it, so an
/// example is the same floats whichever source draws it.
void convert_image(const uint8_t* src, float* out, int64_t h, int64_t w, int64_t c, int k = 0);

/// Example `position` of class `class_index` of `store` as f32 [C, H, W] into `out` (through the
/// store's class cache). Throws StoreError "<who>: store '<path>': class N has B bytes,
/// expected E" when the class's data does not match its example count.
void read_example(Store& store, int64_t class_index, int64_t position, float* out, const char* who);

}  // namespace cz::data::detail
