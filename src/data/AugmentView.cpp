// One augmented view: drawing its parameters and rendering it (one resampling, then pixel ops).
#include "AugmentView.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "ElasticField.hpp"

namespace cz::data::detail {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Random erasing's aspect ratios, log-uniform in [1/3, 3] (Zhong et al. use [0.3, 3.3]).
const double kEraseLogAspect = std::log(3.0);

// (x, y) -> (a x + b y + c, d x + e y + f)
struct Affine {
  double a = 1, b = 0, c = 0, d = 0, e = 1, f = 0;
};
// outer after inner
Affine compose(const Affine& o, const Affine& i) {
  return {o.a * i.a + o.b * i.d, o.a * i.b + o.b * i.e, o.a * i.c + o.b * i.f + o.c,
          o.d * i.a + o.e * i.d, o.d * i.b + o.e * i.e, o.d * i.c + o.e * i.f + o.f};
}

// The inverse map of the whole geometry: an output position (continuous, pixel i's centre at
// i + 0.5) -> the source position in index coordinates (pixel i's centre at i), where the
// source is sampled. The forward order is crop, flip, affine, so the inverse undoes the affine
// first; the elastic displacement is added to the output position before this map.
Affine inverse_map(const ViewParams& v, double height, double width) {
  const double cx = width / 2, cy = height / 2;
  // forward linear part L = rotate * scale * shear; its inverse by the 2x2 formula (det = s^2)
  const double cs = std::cos(v.rotation), sn = std::sin(v.rotation), s = v.scale, k = v.shear;
  const double l00 = s * cs, l01 = s * (cs * k - sn), l10 = s * sn, l11 = s * (sn * k + cs);
  const double det = l00 * l11 - l01 * l10;
  Affine affine{l11 / det, -l01 / det, 0, -l10 / det, l00 / det, 0};
  // q = L^-1 (p - c - t) + c
  const double tx = cx + v.shift_x * width, ty = cy + v.shift_y * height;
  affine.c = cx - (affine.a * tx + affine.b * ty);
  affine.f = cy - (affine.d * tx + affine.e * ty);
  const Affine flip = v.flip ? Affine{-1, 0, width, 0, 1, 0} : Affine{};
  const Affine crop{v.crop_w, 0, v.crop_x * width, 0, v.crop_h, v.crop_y * height};
  const Affine to_index{1, 0, -0.5, 0, 1, -0.5};
  return compose(to_index, compose(crop, compose(flip, affine)));
}

// Bilinear sample of one plane at index coordinates (sx, sy); black outside the image.
float bilinear(const float* plane, int64_t height, int64_t width, double sx, double sy) {
  // Far outside is black anyway; the clamp keeps the integer conversion defined.
  sx = std::clamp(sx, -2.0, static_cast<double>(width) + 1);
  sy = std::clamp(sy, -2.0, static_cast<double>(height) + 1);
  const double fx = std::floor(sx), fy = std::floor(sy);
  const auto x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
  const auto ax = static_cast<float>(sx - fx), ay = static_cast<float>(sy - fy);
  auto at = [&](int64_t y, int64_t x) {
    return x >= 0 && x < width && y >= 0 && y < height ? plane[y * width + x] : 0.0f;
  };
  return (1 - ay) * ((1 - ax) * at(y0, x0) + ax * at(y0, x0 + 1)) +
         ay * ((1 - ax) * at(y0 + 1, x0) + ax * at(y0 + 1, x0 + 1));
}

// 3x3 grey dilation (max) or erosion (min) over the neighbours inside the image.
void morphology(const float* in, float* out, int64_t height, int64_t width, bool dilate) {
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      float m = in[y * width + x];
      for (int64_t yy = std::max<int64_t>(0, y - 1); yy <= std::min(height - 1, y + 1); ++yy)
        for (int64_t xx = std::max<int64_t>(0, x - 1); xx <= std::min(width - 1, x + 1); ++xx)
          m = dilate ? std::max(m, in[yy * width + xx]) : std::min(m, in[yy * width + xx]);
      out[y * width + x] = m;
    }
  }
}

}  // namespace

ViewParams draw_view(const AugmentSpec& spec, CounterRng& rng, int64_t height, int64_t width) {
  ViewParams v;
  {  // crop-and-resize; the aspect ratio is relative to the image's
    const bool on = rng.uniform() < spec.crop_p;
    const double area = rng.uniform(1 - spec.crop, 1.0);
    const double log_aspect = std::log1p(spec.crop_aspect);
    const double aspect = std::exp(rng.uniform(-log_aspect, log_aspect));
    const double ux = rng.uniform(), uy = rng.uniform();
    if (on) {
      // A side longer than the image's is cut to it and the other lengthened to keep the area
      // (which moves the aspect ratio towards 1).
      v.crop_w = std::sqrt(area * aspect), v.crop_h = std::sqrt(area / aspect);
      if (v.crop_w > 1) v.crop_w = 1, v.crop_h = area;
      if (v.crop_h > 1) v.crop_h = 1, v.crop_w = area;
      v.crop_x = ux * (1 - v.crop_w);
      v.crop_y = uy * (1 - v.crop_h);
    }
  }
  v.flip = rng.uniform() < 0.5 && spec.flip;
  {
    const bool on = rng.uniform() < spec.affine_p;
    const double rotation = rng.uniform(-spec.rotation, spec.rotation) * kPi / 180;
    const double scale = rng.uniform(1 - spec.scale, 1 + spec.scale);
    const double shear = rng.uniform(-spec.shear, spec.shear);
    const double shift_x = rng.uniform(-spec.translate, spec.translate);
    const double shift_y = rng.uniform(-spec.translate, spec.translate);
    if (on) v.rotation = rotation, v.scale = scale, v.shear = shear, v.shift_x = shift_x, v.shift_y = shift_y;
  }
  {
    const bool on = rng.uniform() < spec.elastic_p;
    const uint64_t key = rng.next_u64();
    if (on) v.elastic = spec.elastic, v.elastic_key = key;
  }
  {
    const bool on = rng.uniform() < spec.stroke_p;
    const double a = rng.uniform(-spec.thin, spec.thicken);
    if (on) v.stroke = a;
  }
  {
    const bool on = rng.uniform() < spec.noise_p;
    const uint64_t key = rng.next_u64();
    if (on) v.noise = spec.noise, v.noise_key = key;
  }
  {
    const bool on = rng.uniform() < spec.erase_p;
    const double area = rng.uniform(spec.erase / 4, spec.erase) * static_cast<double>(height * width);
    const double aspect = std::exp(rng.uniform(-kEraseLogAspect, kEraseLogAspect));
    const double ux = rng.uniform(), uy = rng.uniform();
    if (on && area > 0) {
      v.erase_w = std::clamp<int64_t>(std::llround(std::sqrt(area * aspect)), 1, width);
      v.erase_h = std::clamp<int64_t>(std::llround(std::sqrt(area / aspect)), 1, height);
      v.erase_x = std::min(width - v.erase_w, static_cast<int64_t>(ux * static_cast<double>(width - v.erase_w + 1)));
      v.erase_y = std::min(height - v.erase_h, static_cast<int64_t>(uy * static_cast<double>(height - v.erase_h + 1)));
    }
  }
  return v;
}

void render_view(const ViewParams& v, const float* in, float* out, int64_t channels, int64_t height,
                 int64_t width) {
  const int64_t plane = height * width;
  // 1. Geometry: one bilinear resampling of every plane through the composed inverse map.
  const Affine map = inverse_map(v, static_cast<double>(height), static_cast<double>(width));
  std::optional<ElasticField> field;
  if (v.elastic > 0)
    field.emplace(v.elastic_key, v.elastic * static_cast<double>(std::min(height, width)),
                  static_cast<int>(width), static_cast<int>(height));
  for (int64_t y = 0; y < height; ++y) {
    ElasticField::Row row{};
    if (field) row = field->row(static_cast<int>(y));
    for (int64_t x = 0; x < width; ++x) {
      float px = static_cast<float>(x) + 0.5f, py = static_cast<float>(y) + 0.5f;
      if (field) field->displace(row, static_cast<int>(x), px, py);
      const double sx = map.a * px + map.b * py + map.c, sy = map.d * px + map.e * py + map.f;
      for (int64_t ch = 0; ch < channels; ++ch)
        out[ch * plane + y * width + x] = bilinear(in + ch * plane, height, width, sx, sy);
    }
  }
  // 2. Stroke: a blend with the dilation (thicker) or erosion (thinner) of each plane.
  if (v.stroke != 0) {
    thread_local std::vector<float> morph;
    morph.resize(static_cast<size_t>(plane));
    const auto a = static_cast<float>(std::abs(v.stroke));
    for (int64_t ch = 0; ch < channels; ++ch) {
      float* p = out + ch * plane;
      morphology(p, morph.data(), height, width, v.stroke > 0);
      for (int64_t i = 0; i < plane; ++i) p[i] = (1 - a) * p[i] + a * morph[static_cast<size_t>(i)];
    }
  }
  // 3. Noise, then the clamp that keeps every value in [0, 1] (bilinear rounding included).
  if (v.noise > 0) {
    CounterRng rng(v.noise_key);
    for (int64_t i = 0; i < channels * plane; ++i) out[i] += static_cast<float>(v.noise * rng.normal());
  }
  for (int64_t i = 0; i < channels * plane; ++i) out[i] = std::clamp(out[i], 0.0f, 1.0f);
  // 4. Erasing.
  for (int64_t ch = 0; ch < channels; ++ch)
    for (int64_t y = v.erase_y; y < v.erase_y + v.erase_h; ++y)
      std::fill_n(out + ch * plane + y * width + v.erase_x, v.erase_w, 0.0f);
}

}  // namespace cz::data::detail
