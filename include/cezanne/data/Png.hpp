// PNG reading and writing (libpng's simplified API) and resizing of uint8 images.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace cz::data {

/// A uint8 image, rows of width*channels bytes, channels interleaved (HWC).
struct Image {
  int64_t height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

/// Reads a PNG of any colour type and depth, converted to `channels` = 1 (gray) or 3 (RGB);
/// alpha is composited onto white. Throws StoreError naming the file on any failure.
Image read_png(const std::filesystem::path& file, int channels);

/// Writes an 8-bit gray (1 channel) or RGB (3 channels) PNG. Throws StoreError naming the file.
void write_png(const std::filesystem::path& file, const Image& image);

enum class ResizeFilter : uint8_t { nearest, bilinear };

/// Resizes to height x width (pixel centres aligned, edges clamped, as OpenCV's INTER_LINEAR).
/// Returns the input unchanged when the size already matches.
Image resize_image(const Image& image, int64_t height, int64_t width,
                   ResizeFilter filter = ResizeFilter::bilinear);

}  // namespace cz::data
