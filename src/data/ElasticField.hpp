// A smooth random displacement field (elastic distortion), shared by the glyph importer's
// distortions and the augmentations.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cz::data::detail {

/// Gaussian displacements (std dev `alpha` pixels, x and y independent) at (kCells + 1)^2
/// control points spread over a width x height image, interpolated between them with smoothstep
/// weights: C1 inside a cell and cheap. With kCells = 4 the control points are about 7 pixels
/// apart at 28 px, so the field is smooth at the scale of a stroke (Simard et al.'s Gaussian-
/// smoothed field with sigma ~ 4 px, without the convolution). A pure function of `key`.
class ElasticField {
 public:
  static constexpr int kCells = 4;
  static constexpr int kPoints = kCells + 1;

  ElasticField(uint64_t key, double alpha, int width, int height);

  /// The largest displacement of any control point, so of any pixel (pixels).
  float reach() const { return reach_; }

  /// The field along one image row at the control columns.
  struct Row {
    std::array<float, kPoints> x, y;
  };
  Row row(int y) const;

  /// Adds the displacement at column x of `row` to (sx, sy), in this order of operations (the
  /// glyph importer's stores depend on its rounding).
  void displace(const Row& row, int x, float& sx, float& sy) const {
    const int ix = cell_x_[static_cast<size_t>(x)];
    const float tx = weight_x_[static_cast<size_t>(x)];
    sx = sx + (1 - tx) * row.x[ix] + tx * row.x[ix + 1];
    sy = sy + (1 - tx) * row.y[ix] + tx * row.y[ix + 1];
  }

 private:
  float field_x_[kPoints][kPoints], field_y_[kPoints][kPoints];
  float reach_ = 0;
  float cell_w_, cell_h_;  // a cell's size in pixels
  // Per-column cell index and weight (the same for every row).
  std::vector<int> cell_x_;
  std::vector<float> weight_x_;
};

}  // namespace cz::data::detail
