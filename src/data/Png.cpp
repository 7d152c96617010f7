// PNG through libpng's simplified API (png_image), and nearest/bilinear resizing.
#include "cezanne/data/Png.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "cezanne/data/StoreError.hpp"

namespace cz::data {

namespace {
struct PngImage {
  png_image image{};
  PngImage() { image.version = PNG_IMAGE_VERSION; }
  ~PngImage() { png_image_free(&image); }
};

std::string message(const png_image& image) {
  return image.message[0] != '\0' ? std::string(image.message)
                                  : std::string("unknown libpng error");
}
}  // namespace

Image read_png(const std::filesystem::path& file, int channels) {
  if (channels != 1 && channels != 3) throw StoreError(file.string() + ": channels must be 1 or 3");
  // fopen ourselves so that a missing file and a bad file give distinct messages.
  std::unique_ptr<FILE, int (*)(FILE*)> fp(std::fopen(file.c_str(), "rb"), std::fclose);
  if (!fp) throw StoreError(file.string() + ": cannot open PNG");
  PngImage png;
  if (png_image_begin_read_from_stdio(&png.image, fp.get()) == 0) {
    throw StoreError(file.string() + ": not a readable PNG (" + message(png.image) + ")");
  }
  png.image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  Image out;
  out.height = png.image.height;
  out.width = png.image.width;
  out.channels = channels;
  out.pixels.resize(PNG_IMAGE_SIZE(png.image));
  png_color white{255, 255, 255};
  if (png_image_finish_read(&png.image, &white, out.pixels.data(), 0, nullptr) == 0) {
    throw StoreError(file.string() + ": corrupt PNG (" + message(png.image) + ")");
  }
  return out;
}

void write_png(const std::filesystem::path& file, const Image& image) {
  if (image.channels != 1 && image.channels != 3)
    throw StoreError(file.string() + ": channels must be 1 or 3");
  if (static_cast<int64_t>(image.pixels.size()) != image.height * image.width * image.channels) {
    throw StoreError(file.string() + ": pixel buffer does not match the image size");
  }
  PngImage png;
  png.image.width = static_cast<png_uint_32>(image.width);
  png.image.height = static_cast<png_uint_32>(image.height);
  png.image.format = image.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  if (png_image_write_to_file(&png.image, file.c_str(), 0, image.pixels.data(), 0, nullptr) == 0) {
    throw StoreError(file.string() + ": cannot write PNG (" + message(png.image) + ")");
  }
}

Image resize_image(const Image& image, int64_t height, int64_t width, ResizeFilter filter) {
  if (height == image.height && width == image.width) return image;
  if (height < 1 || width < 1 || image.height < 1 || image.width < 1)
    throw StoreError("resize_image: empty size");
  Image out;
  out.height = height;
  out.width = width;
  out.channels = image.channels;
  out.pixels.resize(static_cast<size_t>(height * width * image.channels));
  const double sy = static_cast<double>(image.height) / static_cast<double>(height);
  const double sx = static_cast<double>(image.width) / static_cast<double>(width);
  const int64_t C = image.channels;
  auto at = [&](int64_t y, int64_t x, int64_t c) {
    return static_cast<double>(image.pixels[static_cast<size_t>((y * image.width + x) * C + c)]);
  };
  for (int64_t y = 0; y < height; ++y) {
    const double fy = std::clamp((static_cast<double>(y) + 0.5) * sy - 0.5, 0.0,
                                 static_cast<double>(image.height - 1));
    const auto y0 = static_cast<int64_t>(fy);
    const int64_t y1 = std::min(y0 + 1, image.height - 1);
    const double wy = fy - static_cast<double>(y0);
    for (int64_t x = 0; x < width; ++x) {
      const double fx = std::clamp((static_cast<double>(x) + 0.5) * sx - 0.5, 0.0,
                                   static_cast<double>(image.width - 1));
      const auto x0 = static_cast<int64_t>(fx);
      const int64_t x1 = std::min(x0 + 1, image.width - 1);
      const double wx = fx - static_cast<double>(x0);
      for (int64_t c = 0; c < C; ++c) {
        double v;
        if (filter == ResizeFilter::nearest) {
          const auto ny = std::min(static_cast<int64_t>(static_cast<double>(y) * sy + sy / 2),
                                   image.height - 1);
          const auto nx =
              std::min(static_cast<int64_t>(static_cast<double>(x) * sx + sx / 2), image.width - 1);
          v = at(ny, nx, c);
        } else {
          v = (1 - wy) * ((1 - wx) * at(y0, x0, c) + wx * at(y0, x1, c)) +
              wy * ((1 - wx) * at(y1, x0, c) + wx * at(y1, x1, c));
        }
        out.pixels[static_cast<size_t>((y * width + x) * C + c)] =
            static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 255.0)));
      }
    }
  }
  return out;
}

}  // namespace cz::data
