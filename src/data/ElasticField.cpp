// The control points of an elastic displacement field and their smoothstep interpolation.
#include "ElasticField.hpp"

#include <algorithm>
#include <cmath>

#include "cezanne/tensor/Random.hpp"

namespace cz::data::detail {
namespace {

inline float smooth(float t) { return t * t * (3.0f - 2.0f * t); }

}  // namespace

ElasticField::ElasticField(uint64_t key, double alpha, int width, int height)
    : cell_w_(static_cast<float>(width) / kCells),
      cell_h_(static_cast<float>(height) / kCells),
      cell_x_(static_cast<size_t>(width)),
      weight_x_(static_cast<size_t>(width)) {
  CounterRng rng(key);
  for (int i = 0; i < kPoints; ++i) {
    for (int j = 0; j < kPoints; ++j) {
      field_x_[i][j] = static_cast<float>(alpha * rng.normal());
      field_y_[i][j] = static_cast<float>(alpha * rng.normal());
      reach_ = std::max({reach_, std::abs(field_x_[i][j]), std::abs(field_y_[i][j])});
    }
  }
  for (int x = 0; x < width; ++x) {
    const float g = (static_cast<float>(x) + 0.5f) / cell_w_;
    cell_x_[static_cast<size_t>(x)] = std::min(static_cast<int>(g), kCells - 1);
    weight_x_[static_cast<size_t>(x)] = smooth(g - static_cast<float>(cell_x_[static_cast<size_t>(x)]));
  }
}

ElasticField::Row ElasticField::row(int y) const {
  const float g = (static_cast<float>(y) + 0.5f) / cell_h_;
  const int iy = std::min(static_cast<int>(g), kCells - 1);
  const float ty = smooth(g - static_cast<float>(iy));
  Row r;
  for (int j = 0; j < kPoints; ++j) {
    r.x[j] = (1 - ty) * field_x_[iy][j] + ty * field_x_[iy + 1][j];
    r.y[j] = (1 - ty) * field_y_[iy][j] + ty * field_y_[iy + 1][j];
  }
  return r;
}

}  // namespace cz::data::detail
