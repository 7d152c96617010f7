// Seeded distortions of rendered glyphs: the parameters of one example, the elastic warp and
// the area-averaging downsample.
#include <algorithm>
#include <cmath>

#include "ElasticField.hpp"
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
    const ElasticField field(d.elastic_key, d.elastic_alpha * side, side, side);
    // The source, padded with `pad` black pixels on every side so sampling needs no bounds
    // checks (no pixel moves farther than the field's reach); only output pixels within `pad`
    // of the ink can receive any.
    const int pad = static_cast<int>(std::ceil(field.reach())) + 2, padded = side + 2 * pad;
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
    const int y_begin = std::max(0, y_lo - pad), y_end = std::min(side, y_hi + pad + 1);
    const int x_begin = std::max(0, x_lo - pad), x_end = std::min(side, x_hi + pad + 1);
    for (int y = y_begin; y < y_end; ++y) {
      const ElasticField::Row field_row = field.row(y);
      float* dst = warped.data() + static_cast<size_t>(y) * side;
      for (int x = x_begin; x < x_end; ++x) {
        // Source position in padded coordinates, >= 1 and < padded - 2 by construction.
        float sx = static_cast<float>(x + pad), sy = static_cast<float>(y + pad);
        field.displace(field_row, x, sx, sy);
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
