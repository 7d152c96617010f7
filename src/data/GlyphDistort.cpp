// Seeded distortions of rendered glyphs: the parameters of one example, the elastic warp and
// the area-averaging downsample.
#include <algorithm>
#include <cmath>

#include "GlyphInternal.hpp"

namespace cz::data::detail {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Ranges at a 28-pixel output (Omniglot/MNIST scale): +-10 degrees, +-2 px, a stroke from
// 0.3 px thinner (hairlines survive) to 1 px bolder, elastic control points moved ~0.8 px.
constexpr double kMaxRotation = 10.0 * kPi / 180.0;
constexpr double kMinScale = 0.85, kMaxScale = 1.10;
constexpr double kMaxShear = 0.15;
constexpr double kMaxShift = 2.0 / 28.0;
constexpr double kMinStroke = -0.3 / 28.0, kMaxStroke = 1.0 / 28.0;
constexpr double kElasticAlpha = 0.8 / 28.0;
// The elastic field is interpolated between (kElasticCells + 1)^2 random control points,
// about 7 output pixels apart at 28 px: smooth at the scale of a stroke (sigma ~ 4 px).
constexpr int kElasticCells = 4;

// Bilinear interpolation with smoothstep weights: C1 inside a cell and cheap.
inline float smooth(float t) { return t * t * (3.0f - 2.0f * t); }

}  // namespace

Distortion sample_distortion(CounterRng& rng) {
  Distortion d;
  d.rotation = rng.uniform(-kMaxRotation, kMaxRotation);
  d.scale = rng.uniform(kMinScale, kMaxScale);
  d.shear = rng.uniform(-kMaxShear, kMaxShear);
  d.shift_x = rng.uniform(-kMaxShift, kMaxShift);
  d.shift_y = rng.uniform(-kMaxShift, kMaxShift);
  d.stroke = rng.uniform(kMinStroke, kMaxStroke);
  d.elastic_alpha = kElasticAlpha;
  d.elastic_key = rng.next_u64();
  return d;
}

void warp_and_downsample(const std::vector<float>& canvas, int canvas_side, const Distortion& d, uint8_t* out) {
  const int side = canvas_side;
  std::vector<float> warped;
  const std::vector<float>* src = &canvas;
  if (d.elastic_alpha > 0) {
    constexpr int n = kElasticCells + 1;
    float field_x[n][n], field_y[n][n];
    CounterRng rng(d.elastic_key);
    const double alpha = d.elastic_alpha * side;
    float reach = 0;  // no pixel moves farther than the largest control point
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        field_x[i][j] = static_cast<float>(alpha * rng.normal());
        field_y[i][j] = static_cast<float>(alpha * rng.normal());
        reach = std::max({reach, std::abs(field_x[i][j]), std::abs(field_y[i][j])});
      }
    }
    // The source, padded with `pad` black pixels on every side so sampling needs no bounds
    // checks; only output pixels within `pad` of the ink can receive any.
    const int pad = static_cast<int>(std::ceil(reach)) + 2, padded = side + 2 * pad;
    std::vector<float> source(static_cast<size_t>(padded) * padded, 0.0f);
    int x_lo = side, x_hi = -1, y_lo = side, y_hi = -1;
    for (int y = 0; y < side; ++y) {
      const float* row = canvas.data() + static_cast<size_t>(y) * side;
      for (int x = 0; x < side; ++x) {
        if (row[x] == 0.0f) continue;
        x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x), y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
      }
      std::copy(row, row + side, source.data() + static_cast<size_t>(y + pad) * padded + pad);
    }
    warped.assign(canvas.size(), 0.0f);
    // Per-column cell index and weight of the field (the same for every row).
    const float cell = static_cast<float>(side) / kElasticCells;
    std::vector<int> cell_x(static_cast<size_t>(side));
    std::vector<float> weight_x(static_cast<size_t>(side));
    for (int x = 0; x < side; ++x) {
      const float g = (static_cast<float>(x) + 0.5f) / cell;
      cell_x[x] = std::min(static_cast<int>(g), kElasticCells - 1);
      weight_x[x] = smooth(g - static_cast<float>(cell_x[x]));
    }
    const int y_begin = std::max(0, y_lo - pad), y_end = std::min(side, y_hi + pad + 1);
    const int x_begin = std::max(0, x_lo - pad), x_end = std::min(side, x_hi + pad + 1);
    for (int y = y_begin; y < y_end; ++y) {
      const float g = (static_cast<float>(y) + 0.5f) / cell;
      const int iy = std::min(static_cast<int>(g), kElasticCells - 1);
      const float ty = smooth(g - static_cast<float>(iy));
      float row_x[n], row_y[n];  // the field along this row at the control columns
      for (int j = 0; j < n; ++j) {
        row_x[j] = (1 - ty) * field_x[iy][j] + ty * field_x[iy + 1][j];
        row_y[j] = (1 - ty) * field_y[iy][j] + ty * field_y[iy + 1][j];
      }
      float* dst = warped.data() + static_cast<size_t>(y) * side;
      for (int x = x_begin; x < x_end; ++x) {
        const int ix = cell_x[x];
        const float tx = weight_x[x];
        // Source position in padded coordinates, >= 1 and < padded - 2 by construction.
        const float sx = static_cast<float>(x + pad) + (1 - tx) * row_x[ix] + tx * row_x[ix + 1];
        const float sy = static_cast<float>(y + pad) + (1 - tx) * row_y[ix] + tx * row_y[ix + 1];
        const int x0 = static_cast<int>(sx), y0 = static_cast<int>(sy);
        const float ax = sx - static_cast<float>(x0), ay = sy - static_cast<float>(y0);
        const float* p = source.data() + static_cast<size_t>(y0) * padded + x0;
        dst[x] = (1 - ay) * ((1 - ax) * p[0] + ax * p[1]) + ay * ((1 - ax) * p[padded] + ax * p[padded + 1]);
      }
    }
    src = &warped;
  }
  const int out_side = side / kOversample;
  constexpr float kNorm = 1.0f / (kOversample * kOversample);
  for (int y = 0; y < out_side; ++y) {
    for (int x = 0; x < out_side; ++x) {
      float sum = 0;
      for (int dy = 0; dy < kOversample; ++dy) {
        const float* row = src->data() + static_cast<size_t>(y * kOversample + dy) * side + x * kOversample;
        for (int dx = 0; dx < kOversample; ++dx) sum += row[dx];
      }
      out[static_cast<size_t>(y) * out_side + x] = static_cast<uint8_t>(std::clamp(sum * kNorm + 0.5f, 0.0f, 255.0f));
    }
  }
}

}  // namespace cz::data::detail
