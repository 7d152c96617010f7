// The store's bytes as the model's floats: one image uint8 [H, W, C] -> f32 [C, H, W].
#pragma once

#include <cstdint>

namespace cz::data::detail {

/// Each value float(b) / 255, rotated counter-clockwise by k*90 degrees (numpy.rot90(image, k)
/// convention; H == W when k != 0): out[y][x] = in[src(y, x)]. Every task source uses it, so an
/// example is the same floats whichever source draws it.
void convert_image(const uint8_t* src, float* out, int64_t h, int64_t w, int64_t c, int k = 0);

}  // namespace cz::data::detail
