// The random parameters of one augmented view and their application to one image (internals of
// data::augment, exposed to the tests, which set parameters by hand).
#pragma once

#include <cstdint>

#include "cezanne/data/Augment.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::data::detail {

/// What one view does to one image. Lengths are fractions of the image's width (x) or height
/// (y); every field at its default leaves the image unchanged.
struct ViewParams {
  // crop-and-resize: the window [crop_x, crop_x + crop_w] x [crop_y, crop_y + crop_h] becomes the image
  double crop_x = 0, crop_y = 0, crop_w = 1, crop_h = 1;
  bool flip = false;
  // affine about the centre, forward: rotate(rotation, radians) * scale * shear (x += shear * y),
  // then shift by (shift_x, shift_y) (y down)
  double rotation = 0, scale = 1, shear = 0, shift_x = 0, shift_y = 0;
  double elastic = 0;  // std dev of the field's control points (fraction of the shorter side)
  uint64_t elastic_key = 0;
  double stroke = 0;  // > 0: blend weight of the 3x3 dilation, < 0: of the 3x3 erosion
  double noise = 0;   // std dev of the Gaussian noise
  uint64_t noise_key = 0;
  int64_t erase_x = 0, erase_y = 0, erase_w = 0, erase_h = 0;  // the erased rectangle, pixels
};

/// Draws the parameters of one view from `rng`. Every transform's draws are made whether or
/// not it is applied, so a probability changes only its own transform, never another's draws.
ViewParams draw_view(const AugmentSpec& spec, CounterRng& rng, int64_t height, int64_t width);

/// Writes the view of one image (`channels` planes of height x width, values in [0, 1]) to
/// `out` (the same layout; not `in`).
void render_view(const ViewParams& view, const float* in, float* out, int64_t channels, int64_t height,
                 int64_t width);

}  // namespace cz::data::detail
