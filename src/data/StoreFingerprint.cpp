// Fingerprints of stores and the two comparisons `eval` and `train --resume` make with them.
#include "cezanne/data/StoreFingerprint.hpp"

#include <cmath>
#include <cstdio>

namespace cz::data {

StoreFingerprint fingerprint(const Store& store, std::string path) {
  return {std::move(path), store.shape(), store.metadata().ink, store.metadata().examples_sha256};
}

std::string image_shape_str(const ImageShape& shape) {
  return std::to_string(shape.height) + "x" + std::to_string(shape.width) + "x" +
         std::to_string(shape.channels);
}

std::string shape_mismatch(const StoreFingerprint& trained, const StoreFingerprint& other) {
  const ImageShape &a = trained.shape, &b = other.shape;
  if (a.height == b.height && a.width == b.width && a.channels == b.channels) return "";
  return "images " + image_shape_str(b) +
         " (height x width x channels), but the model was trained on " + image_shape_str(a) + " (" +
         trained.path + ")";
}

std::string polarity_warning(const StoreFingerprint& trained, const StoreFingerprint& other) {
  if (!trained.ink || !other.ink) return "";
  const InkStats &a = *trained.ink, &b = *other.ink;
  const bool opposite = (a.border_mean < 0.5) != (b.border_mean < 0.5);
  if (!opposite || std::fabs(a.border_mean - b.border_mean) < 0.25) return "";
  char line[160];
  std::snprintf(line, sizeof line,
                ": border (background) mean %.2f of full scale against %.2f, pixel mean %.2f "
                "against %.2f",
                b.border_mean, a.border_mean, b.pixel_mean, a.pixel_mean);
  return other.path + " looks inverted against the training store " + trained.path + line +
         " (imported without --invert, or with it?)";
}

}  // namespace cz::data
