// uint8 [H, W, C] -> f32 [C, H, W] in [0, 1], optionally rotated by a multiple of 90 degrees.
#include "ImageConvert.hpp"

#include <array>
#include <string>

#include "cezanne/data/StoreError.hpp"

namespace cz::data::detail {
namespace {

/// uint8 -> f32 in [0, 1]; a table keeps the value exactly float(b) / 255 on every path.
const std::array<float, 256>& byte_to_unit() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int b = 0; b < 256; ++b) t[b] = static_cast<float>(b) / 255.0f;
    return t;
  }();
  return table;
}

}  // namespace

void convert_image(const uint8_t* src, float* out, int64_t h, int64_t w, int64_t c, int k) {
  const auto& unit = byte_to_unit();
  const int64_t hw = h * w;
  if (k == 0 && c == 1) {  // the common case (grey glyphs): vectorizes; same values as the table
    for (int64_t i = 0; i < hw; ++i) out[i] = static_cast<float>(src[i]) / 255.0f;
    return;
  }
  // Source pixel of (y, x) is off0 + y*ay + x*ax (in pixels; S = h = w when rotating).
  const int64_t s1 = h - 1;
  int64_t off0 = 0, ay = w, ax = 1;
  switch (k) {
    case 1:
      off0 = s1, ay = -1, ax = w;
      break;  // in[x][S-1-y]
    case 2:
      off0 = s1 * w + s1, ay = -w, ax = -1;
      break;  // in[S-1-y][S-1-x]
    case 3:
      off0 = s1 * w, ay = 1, ax = -w;
      break;  // in[S-1-x][y]
    default:
      break;
  }
  for (int64_t ch = 0; ch < c; ++ch) {
    float* plane = out + ch * hw;
    const uint8_t* base = src + ch;
    for (int64_t y = 0; y < h; ++y) {
      const int64_t row = off0 + y * ay;
      float* dst = plane + y * w;
      for (int64_t x = 0; x < w; ++x) dst[x] = unit[base[(row + x * ax) * c]];
    }
  }
}

void read_example(Store& store, int64_t class_index, int64_t position, float* out, const char* who) {
  const ImageShape shape = store.shape();
  const int64_t image_bytes = shape.height * shape.width * shape.channels;
  const int64_t n = store.classes()[static_cast<size_t>(class_index)].num_examples;
  const auto data = store.read_class(class_index);
  if (static_cast<int64_t>(data->size()) != n * image_bytes)
    throw StoreError(std::string(who) + ": store '" + store.path().string() + "': class " +
                     std::to_string(class_index) + " has " + std::to_string(data->size()) +
                     " bytes, expected " + std::to_string(n * image_bytes));
  convert_image(data->data() + position * image_bytes, out, shape.height, shape.width, shape.channels);
}

}  // namespace cz::data::detail
