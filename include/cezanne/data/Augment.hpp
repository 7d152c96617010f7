// Augmentations: random views of images, each a pure function of (seed, step, example key, view).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "cezanne/tensor/Tensor.hpp"

namespace cz::data {

/// The transforms of one view, each with its probability (`*_p`, in [0, 1]) and its strength.
/// A view applies them in this order: crop-and-resize, flip, random affine and elastic
/// distortion (composed into one inverse map, so an image is resampled once), stroke
/// thickening/thinning, Gaussian noise, random erasing. Lengths are fractions of the image
/// side, so a strength means the same at every image size. Every strength at 0 gives the image
/// back unchanged (bit for bit). The defaults suit 28x28 glyphs (light strokes on black): a
/// character stays the same character. No flips by default: a flipped dog is a dog, a flipped
/// character is another character (or none).
struct AugmentSpec {
  // crop-and-resize: a window of a random area fraction in [1 - crop, 1] and aspect ratio
  // (width/height, relative to the image's) log-uniform in [1 / (1 + crop_aspect), 1 + crop_aspect]
  // (a side that would exceed the image's is cut to it, the other lengthened to keep the area),
  // at a random position inside the image, resized back to the whole image.
  double crop_p = 0.5, crop = 0.2, crop_aspect = 1.0 / 3.0;
  // horizontal flip with probability 1/2 (off by default; see above)
  bool flip = false;
  // random affine about the image centre: rotation uniform in +-rotation degrees, scale in
  // [1 - scale, 1 + scale], horizontal shear in +-shear, translation in +-translate per axis.
  double affine_p = 1.0, rotation = 12.0, scale = 0.1, shear = 0.15, translate = 0.08;
  // elastic distortion: a smooth random displacement field whose control points move by
  // `elastic` (std dev, fraction of the side; 0.04 is ~1.1 px at 28 px).
  double elastic_p = 0.5, elastic = 0.04;
  // stroke thickening/thinning: a blend with the 3x3 grey dilation (thicken) or erosion (thin)
  // of weight a, a uniform in [-thin, thicken] (a > 0 dilates, a < 0 erodes).
  double stroke_p = 0.5, thicken = 0.6, thin = 0.4;
  // Gaussian noise of std dev `noise` added to every pixel, then clamped to [0, 1].
  double noise_p = 0.5, noise = 0.05;
  // random erasing: a rectangle of area fraction uniform in [erase / 4, erase] and aspect ratio
  // log-uniform in [1/3, 3] at a random position (inside the image) set to 0.
  double erase_p = 0.25, erase = 0.12;

  /// Throws std::invalid_argument "augment: FIELD must be in [a, b], got V": probabilities
  /// outside [0, 1], negative (or NaN) strengths, crop or scale >= 1, translate, elastic,
  /// thicken, thin, noise or erase > 1, rotation > 180, crop_aspect or shear infinite.
  void validate() const;

  /// The defaults overridden by `text`: comma-separated `field=value` pairs (e.g.
  /// "rotation=20,noise_p=0,flip=1"), or "none" (every probability 0: the identity), or
  /// "default" (or ""). Validated. Throws std::invalid_argument naming the unknown field or the
  /// value that does not parse, or as validate().
  static AugmentSpec parse(std::string_view text);

  /// Every field as `field=value` pairs, in the order of the struct (parse() reads it back).
  std::string to_string() const;
};

/// One view of images [N, C, H, W] f32 on the host (values in [0, 1]): example n's view is a
/// pure function of (seed, step, keys[n], view), drawn from a CounterRng keyed by
/// mix_key({seed, augmentation stream, step, keys[n], view}). `keys` are global example keys
/// (e.g. slot * B + position), so the same example gets the same view on any rank, in any batch
/// split and with any number of `threads` (0: up to the hardware's). Returns a new [N, C, H, W]
/// f32 host tensor in [0, 1]. Throws std::invalid_argument when images is not a 4-D f32 host
/// tensor, when keys.size() != N, or as spec.validate().
Tensor augment(const Tensor& images, const AugmentSpec& spec, uint64_t seed, int64_t step,
               std::span<const int64_t> keys, int64_t view, int threads = 0);

}  // namespace cz::data
