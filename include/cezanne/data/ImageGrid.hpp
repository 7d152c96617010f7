// Images tiled into one grid image (for PNG figures: samples, reconstructions, augmentations).
#pragma once

#include <cstdint>
#include <vector>

#include "cezanne/data/Png.hpp"
#include "cezanne/data/StoreWriter.hpp"

namespace cz::data {

/// `n` images of `shape` (pixels [n][C][H][W] in [0, 1], clamped) tiled row by row, `columns`
/// per row, with `gap` white pixels around and between them, as 8-bit pixels (C = 1 gray,
/// 3 RGB). Throws std::invalid_argument when pixels.size() != n * C * H * W or columns < 1.
Image image_grid(const std::vector<double>& pixels, int64_t n, const ImageShape& shape, int64_t columns,
                 int64_t gap = 2);

}  // namespace cz::data
