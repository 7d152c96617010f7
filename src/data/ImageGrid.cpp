// Tiling images into one grid image.
#include "cezanne/data/ImageGrid.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace cz::data {

Image image_grid(const std::vector<double>& pixels, int64_t n, const ImageShape& s, int64_t columns, int64_t gap) {
  const int64_t image = s.channels * s.height * s.width;
  if (columns < 1) throw std::invalid_argument("image_grid: columns must be >= 1, got " + std::to_string(columns));
  if (static_cast<int64_t>(pixels.size()) != n * image)
    throw std::invalid_argument("image_grid: " + std::to_string(pixels.size()) + " pixels for " + std::to_string(n) +
                                " images of " + std::to_string(image));
  const int64_t rows = (n + columns - 1) / columns;
  Image out;
  out.channels = s.channels;
  out.height = rows * s.height + (rows + 1) * gap;
  out.width = columns * s.width + (columns + 1) * gap;
  out.pixels.assign(static_cast<size_t>(out.height * out.width * out.channels), 255);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = gap + (i / columns) * (s.height + gap), left = gap + (i % columns) * (s.width + gap);
    for (int64_t c = 0; c < s.channels; ++c)
      for (int64_t y = 0; y < s.height; ++y)
        for (int64_t x = 0; x < s.width; ++x) {
          const double v = pixels[static_cast<size_t>(i * image + (c * s.height + y) * s.width + x)];
          out.pixels[static_cast<size_t>(((top + y) * out.width + left + x) * out.channels + c)] =
              static_cast<uint8_t>(std::lround(255.0 * std::clamp(v, 0.0, 1.0)));
        }
  }
  return out;
}

}  // namespace cz::data
