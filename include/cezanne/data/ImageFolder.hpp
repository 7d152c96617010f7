// The `prepare images` importer: folders of class folders of PNG images.
#pragma once

#include <cstdint>
#include <filesystem>

#include "cezanne/data/Idx.hpp"  // ImportStats
#include "cezanne/data/Png.hpp"
#include "cezanne/data/Split.hpp"
#include "cezanne/data/StoreWriter.hpp"

namespace cz::data {

/// omniglot: ROOT/<domain>/<class>/*.png (Omniglot: alphabet/character);
/// flat:     ROOT/<class>/*.png, one domain named after ROOT (ImageNet style).
enum class ImageLayout : uint8_t { omniglot, flat };
ImageLayout parse_image_layout(const std::string& name);  // throws StoreError

struct ImageFolderOptions {
  std::filesystem::path root;
  ImageLayout layout = ImageLayout::omniglot;
  int64_t size = 0;     ///< output is size x size; 0 keeps the size of the images (all must match)
  int channels = 1;     ///< 1 (gray) or 3 (RGB)
  bool invert = false;  ///< 255 - v (Omniglot: white strokes on black)
  ResizeFilter filter = ResizeFilter::bilinear;
  SplitBy split_by = SplitBy::domain;
  SplitFractions fractions;
};

/// Folders and files are taken in name order; files other than *.png (any case) and hidden
/// entries are ignored, and class folders without PNGs are skipped. Throws StoreError naming
/// the file for an unreadable PNG, a size mismatch (size 0), or a root without classes.
ImportStats prepare_images(const std::filesystem::path& out, const ImageFolderOptions& options,
                           const Provenance& provenance,
                           const StoreWriterOptions& writer_options = {});

}  // namespace cz::data
