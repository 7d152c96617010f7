// What a model trained on a store depends on: the image shape and the ink polarity, with the
// content hash that names the store's examples exactly. A checkpoint records its training
// store's, so that `eval` and `train --resume` can refuse (shape) or question (ink) a store
// that does not look like it.
#pragma once

#include <optional>
#include <string>

#include "cezanne/data/Store.hpp"

namespace cz::data {

struct StoreFingerprint {
  std::string path;  ///< the store directory, as the run named it
  ImageShape shape{};
  std::optional<InkStats> ink;  ///< absent for a store written before it was recorded
  std::string examples_sha256;  ///< empty likewise
};

StoreFingerprint fingerprint(const Store& store, std::string path);

/// "28x28x1": height x width x channels.
std::string image_shape_str(const ImageShape& shape);

/// One line when `other`'s images differ in height, width or channels from `trained`'s, naming
/// both shapes and the training store (the caller names `other`); "" when they match.
std::string shape_mismatch(const StoreFingerprint& trained, const StoreFingerprint& other);

/// One line when `other` looks inverted against `trained` (the border means, i.e. the
/// backgrounds, lie on opposite sides of mid-gray and at least 0.25 of full scale apart), naming
/// both stores and their border and pixel means; "" otherwise or when either lacks InkStats.
std::string polarity_warning(const StoreFingerprint& trained, const StoreFingerprint& other);

}  // namespace cz::data
