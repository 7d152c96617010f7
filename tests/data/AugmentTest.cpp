// Augmentations: each transform on a constructed image, the identity at zero strength, the
// drawn parameters' ranges, determinism in (seed, step, key, view), independence from the batch
// split and the thread count, and the spec's text form and errors.
#include "cezanne/data/Augment.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/AugmentView.hpp"
#include "data/ElasticField.hpp"
#include "cezanne/tensor/Ops.hpp"

using namespace cz;
using namespace cz::data;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Every strength 0, every probability 1: each transform runs and must change nothing.
AugmentSpec zero_strength() {
  AugmentSpec s;
  s.crop_p = s.affine_p = s.elastic_p = s.stroke_p = s.noise_p = s.erase_p = 1;
  s.crop = s.crop_aspect = s.rotation = s.scale = s.shear = s.translate = 0;
  s.elastic = s.thicken = s.thin = s.noise = s.erase = 0;
  return s;
}

// Only the transforms set after this run.
AugmentSpec nothing() { return AugmentSpec::parse("none"); }

Tensor random_images(int64_t n, int64_t c, int64_t h, int64_t w, uint64_t seed) {
  return Tensor::uniform({n, c, h, w}, 0, 1, seed);
}

std::vector<float> values(const Tensor& t) {
  const Tensor c = t.contiguous();
  return {c.data<float>(), c.data<float>() + c.numel()};
}

std::vector<int64_t> iota_keys(int64_t n, int64_t first = 0) {
  std::vector<int64_t> keys(static_cast<size_t>(n));
  std::iota(keys.begin(), keys.end(), first);
  return keys;
}

// One plane's view under hand-set parameters.
std::vector<float> render(const detail::ViewParams& v, const std::vector<float>& in, int64_t h, int64_t w) {
  std::vector<float> out(in.size());
  detail::render_view(v, in.data(), out.data(), 1, h, w);
  return out;
}

double sum(const std::vector<float>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

}  // namespace

TEST(Augment, EveryStrengthZeroGivesTheImagesBackBitForBit) {
  const Tensor images = random_images(6, 3, 28, 20, 1);
  const std::vector<int64_t> keys = iota_keys(6);
  EXPECT_EQ(values(augment(images, zero_strength(), 7, 3, keys, 0)), values(images));
  EXPECT_EQ(values(augment(images, AugmentSpec::parse("none"), 7, 3, keys, 1)), values(images));
}

TEST(Augment, TranslationMovesAPixelByTheShift) {
  constexpr int64_t kSide = 32;
  std::vector<float> in(kSide * kSide, 0.0f);
  in[12 * kSide + 10] = 1.0f;  // (x 10, y 12)
  detail::ViewParams v;
  v.shift_x = 4.0 / kSide, v.shift_y = -3.0 / kSide;  // 4 px right, 3 px up
  const std::vector<float> out = render(v, in, kSide, kSide);
  EXPECT_FLOAT_EQ(out[9 * kSide + 14], 1.0f);
  EXPECT_FLOAT_EQ(sum(out), 1.0);
}

TEST(Augment, RotationByAQuarterTurnMovesAPixelAroundTheCentre) {
  constexpr int64_t kSide = 28;
  std::vector<float> in(kSide * kSide, 0.0f);
  in[5 * kSide + 20] = 1.0f;  // centre (20.5, 5.5), relative to the image's centre (6.5, -8.5)
  detail::ViewParams v;
  v.rotation = kPi / 2;  // (x, y) -> (-y, x) in image coordinates (y down): (8.5, 6.5) -> pixel (22, 20)
  const std::vector<float> out = render(v, in, kSide, kSide);
  EXPECT_NEAR(out[20 * kSide + 22], 1.0f, 1e-6);
  EXPECT_NEAR(sum(out), 1.0, 1e-6);
}

TEST(Augment, ScaleAboutTheCentreSpreadsAPixelOverFour) {
  constexpr int64_t kSide = 28;
  std::vector<float> in(kSide * kSide, 0.0f);
  in[14 * kSide + 14] = 1.0f;
  detail::ViewParams v;
  v.scale = 2;  // output position p samples the source at 14 + (p - 14) / 2
  const std::vector<float> out = render(v, in, kSide, kSide);
  // Output pixels 14 and 15 (centres 14.5, 15.5) sample source index 13.75 and 14.25: each
  // takes 0.75 of source pixel 14 per axis.
  for (int64_t y : {14, 15})
    for (int64_t x : {14, 15}) EXPECT_NEAR(out[y * kSide + x], 0.5625f, 1e-6) << x << "," << y;
}

TEST(Augment, ShearMovesPixelsInProportionToTheirHeight) {
  constexpr int64_t kSide = 20;
  std::vector<float> in(kSide * kSide, 0.0f);
  in[18 * kSide + 10] = 1.0f;  // its centre is 18.5 - 10 = 8.5 px below the image's
  detail::ViewParams v;
  v.shear = 2.0 / 8.5;  // x += shear * (y - centre): 2 px right at that row
  const std::vector<float> out = render(v, in, kSide, kSide);
  EXPECT_NEAR(out[18 * kSide + 12], 1.0f, 1e-6);
}

TEST(Augment, CropAndResizeMagnifiesTheWindow) {
  constexpr int64_t kSide = 16;
  std::vector<float> in(kSide * kSide);
  for (int64_t y = 0; y < kSide; ++y)
    for (int64_t x = 0; x < kSide; ++x) in[y * kSide + x] = static_cast<float>(x) / (kSide - 1);
  detail::ViewParams v;
  v.crop_x = 0.25, v.crop_w = 0.5;  // the middle half of the columns, every row
  const std::vector<float> out = render(v, in, kSide, kSide);
  // Output column x samples source index 4 + (x + 0.5) / 2 - 0.5: a linear ramp stays linear.
  for (int64_t y = 0; y < kSide; ++y)
    for (int64_t x = 0; x < kSide; ++x)
      EXPECT_NEAR(out[y * kSide + x], (4 + (x + 0.5) / 2 - 0.5) / (kSide - 1), 1e-6) << x << "," << y;
}

TEST(Augment, FlipMirrorsTheColumns) {
  const std::vector<float> in = values(random_images(1, 1, 9, 12, 5));
  detail::ViewParams v;
  v.flip = true;
  const std::vector<float> out = render(v, in, 9, 12);
  for (int64_t y = 0; y < 9; ++y)
    for (int64_t x = 0; x < 12; ++x) EXPECT_EQ(out[y * 12 + x], in[y * 12 + 11 - x]);
}

TEST(Augment, ElasticDistortionMovesPixelsByASmoothFieldWithinItsReach) {
  constexpr int64_t kSide = 28;
  detail::ViewParams v;
  v.elastic = 0.04, v.elastic_key = 99;
  const detail::ElasticField field(99, 0.04 * kSide, kSide, kSide);
  ASSERT_GT(field.reach(), 0.1f);
  // A constant image stays constant wherever no sample reaches outside it.
  const std::vector<float> flat(kSide * kSide, 0.5f);
  const std::vector<float> out = render(v, flat, kSide, kSide);
  const int64_t margin = static_cast<int64_t>(std::ceil(field.reach())) + 1;
  for (int64_t y = margin; y < kSide - margin; ++y)
    for (int64_t x = margin; x < kSide - margin; ++x) EXPECT_NEAR(out[y * kSide + x], 0.5f, 1e-6);
  // A ramp is moved: the output at a pixel is the ramp at the pixel moved by the field there.
  std::vector<float> ramp(kSide * kSide);
  for (int64_t y = 0; y < kSide; ++y)
    for (int64_t x = 0; x < kSide; ++x) ramp[y * kSide + x] = static_cast<float>(x) / kSide;
  const std::vector<float> moved = render(v, ramp, kSide, kSide);
  double largest = 0;
  for (int64_t y = margin; y < kSide - margin; ++y) {
    const detail::ElasticField::Row row = field.row(static_cast<int>(y));
    for (int64_t x = margin; x < kSide - margin; ++x) {
      float sx = static_cast<float>(x) + 0.5f, sy = static_cast<float>(y) + 0.5f;
      field.displace(row, static_cast<int>(x), sx, sy);
      EXPECT_NEAR(moved[y * kSide + x], (sx - 0.5f) / kSide, 1e-5);
      largest = std::max(largest, std::abs(static_cast<double>(moved[y * kSide + x]) - ramp[y * kSide + x]) * kSide);
    }
  }
  EXPECT_GT(largest, 0.1);  // it did move something
  EXPECT_LE(largest, field.reach() + 1e-4);
}

TEST(Augment, ThickeningWidensAStrokeAndThinningNarrowsIt) {
  constexpr int64_t kSide = 12;
  std::vector<float> line(kSide * kSide, 0.0f), bar(kSide * kSide, 0.0f);
  for (int64_t y = 2; y < 10; ++y) {
    line[y * kSide + 6] = 1.0f;
    for (int64_t x = 5; x < 8; ++x) bar[y * kSide + x] = 1.0f;
  }
  detail::ViewParams v;
  v.stroke = 1;  // the full 3x3 dilation: 1 -> 3 columns, 8 -> 10 rows
  EXPECT_FLOAT_EQ(sum(render(v, line, kSide, kSide)), 30.0f);
  v.stroke = 0.5;  // half way
  EXPECT_FLOAT_EQ(sum(render(v, line, kSide, kSide)), 8 + 0.5f * 22);
  v.stroke = -1;  // the full erosion: 3 -> 1 column, 8 -> 6 rows
  const std::vector<float> thin = render(v, bar, kSide, kSide);
  EXPECT_FLOAT_EQ(sum(thin), 6.0f);
  for (int64_t y = 3; y < 9; ++y) EXPECT_EQ(thin[y * kSide + 6], 1.0f);
  // Through augment: thickening only (thin = 0) never loses ink.
  AugmentSpec spec = nothing();
  spec.stroke_p = 1, spec.thin = 0;
  const Tensor glyphs = Tensor::from_f32(line, {1, 1, kSide, kSide});
  for (int64_t k = 0; k < 20; ++k) EXPECT_GE(sum(values(augment(glyphs, spec, 1, 0, std::vector<int64_t>{k}, 0))), 8.0);
}

TEST(Augment, NoiseHasTheMeanAndStandardDeviationAsked) {
  AugmentSpec spec = nothing();
  spec.noise_p = 1, spec.noise = 0.1;
  const Tensor grey = Tensor::full({4, 1, 64, 64}, 0.5);
  const std::vector<float> out = values(augment(grey, spec, 3, 0, iota_keys(4), 0));
  double mean = 0, square = 0;
  for (float x : out) mean += x, square += static_cast<double>(x) * x;
  mean /= static_cast<double>(out.size());
  const double stddev = std::sqrt(square / static_cast<double>(out.size()) - mean * mean);
  EXPECT_NEAR(mean, 0.5, 0.003);     // 16384 draws: the mean's std error is 0.0008
  EXPECT_NEAR(stddev, 0.1, 0.003);   // 5 std devs from either clamp: unclamped for all practical purposes
  // Near black, the clamp keeps every value in [0, 1].
  const std::vector<float> dark = values(augment(Tensor::zeros({1, 1, 28, 28}), spec, 3, 0, iota_keys(1), 0));
  EXPECT_GE(*std::min_element(dark.begin(), dark.end()), 0.0f);
  EXPECT_GT(*std::max_element(dark.begin(), dark.end()), 0.0f);
}

TEST(Augment, ErasingZeroesOneRectangleOfTheAskedArea) {
  AugmentSpec spec = nothing();
  spec.erase_p = 1, spec.erase = 0.2;
  constexpr int64_t kSide = 28, kN = 50;
  const std::vector<float> out = values(augment(Tensor::ones({kN, 2, kSide, kSide}), spec, 5, 0, iota_keys(kN), 0));
  for (int64_t n = 0; n < kN; ++n) {
    // The zeros' bounding box must be all zeros, and the same in both channels.
    int64_t x_lo = kSide, x_hi = -1, y_lo = kSide, y_hi = -1, zeros = 0;
    for (int64_t y = 0; y < kSide; ++y)
      for (int64_t x = 0; x < kSide; ++x) {
        const float a = out[(n * 2) * kSide * kSide + y * kSide + x], b = out[(n * 2 + 1) * kSide * kSide + y * kSide + x];
        ASSERT_EQ(a, b);
        ASSERT_TRUE(a == 0.0f || a == 1.0f);
        if (a == 0.0f) ++zeros, x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x), y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
      }
    ASSERT_GT(zeros, 0) << n;
    EXPECT_EQ(zeros, (x_hi - x_lo + 1) * (y_hi - y_lo + 1)) << n;
    // Area in [0.05, 0.2] of the image, up to the rounding of both sides to whole pixels.
    const double sides = (x_hi - x_lo + 1) + (y_hi - y_lo + 1);
    EXPECT_GE(zeros, 0.05 * kSide * kSide - sides) << n;
    EXPECT_LE(zeros, 0.2 * kSide * kSide + sides) << n;
  }
}

TEST(Augment, DrawnParametersStayInTheirRanges) {
  const AugmentSpec spec;  // the defaults
  int64_t cropped = 0, affine = 0, elastic = 0, stroked = 0, noisy = 0, erased = 0, flipped = 0;
  constexpr int kViews = 4000;
  for (int k = 0; k < kViews; ++k) {
    CounterRng rng(mix_key({11, static_cast<uint64_t>(k)}));
    const detail::ViewParams v = detail::draw_view(spec, rng, 28, 28);
    const double area = v.crop_w * v.crop_h, aspect = v.crop_w / v.crop_h;
    EXPECT_GE(area, 1 - spec.crop - 1e-12);
    EXPECT_LE(area, 1.0);
    EXPECT_LE(aspect, 1 + spec.crop_aspect + 1e-12);
    EXPECT_GE(aspect, 1 / (1 + spec.crop_aspect) - 1e-12);
    EXPECT_GE(v.crop_x, 0);
    EXPECT_LE(v.crop_x + v.crop_w, 1 + 1e-12);
    EXPECT_GE(v.crop_y, 0);
    EXPECT_LE(v.crop_y + v.crop_h, 1 + 1e-12);
    EXPECT_LE(std::abs(v.rotation), spec.rotation * kPi / 180);
    EXPECT_LE(std::abs(v.scale - 1), spec.scale);
    EXPECT_LE(std::abs(v.shear), spec.shear);
    EXPECT_LE(std::max(std::abs(v.shift_x), std::abs(v.shift_y)), spec.translate);
    EXPECT_GE(v.stroke, -spec.thin);
    EXPECT_LE(v.stroke, spec.thicken);
    EXPECT_LE(v.erase_w * v.erase_h, spec.erase * 28 * 28 + 28 + 28);
    EXPECT_LE(v.erase_x + v.erase_w, 28);
    EXPECT_LE(v.erase_y + v.erase_h, 28);
    cropped += area < 1, affine += v.rotation != 0, elastic += v.elastic > 0, stroked += v.stroke != 0;
    noisy += v.noise > 0, erased += v.erase_w > 0, flipped += v.flip;
  }
  // Each transform at its probability (4000 draws: std error <= 0.008).
  EXPECT_NEAR(static_cast<double>(cropped) / kViews, spec.crop_p, 0.03);
  EXPECT_NEAR(static_cast<double>(affine) / kViews, spec.affine_p, 0.03);
  EXPECT_NEAR(static_cast<double>(elastic) / kViews, spec.elastic_p, 0.03);
  EXPECT_NEAR(static_cast<double>(stroked) / kViews, spec.stroke_p, 0.03);
  EXPECT_NEAR(static_cast<double>(noisy) / kViews, spec.noise_p, 0.03);
  EXPECT_NEAR(static_cast<double>(erased) / kViews, spec.erase_p, 0.03);
  EXPECT_EQ(flipped, 0);  // no flips by default
}

TEST(Augment, AProbabilityChangesOnlyItsOwnTransform) {
  AugmentSpec a, b;
  b.noise_p = 0, b.crop_p = 1;
  for (uint64_t k = 0; k < 50; ++k) {
    CounterRng ra(mix_key({k})), rb(mix_key({k}));
    const detail::ViewParams va = detail::draw_view(a, ra, 28, 28), vb = detail::draw_view(b, rb, 28, 28);
    EXPECT_EQ(va.rotation, vb.rotation);
    EXPECT_EQ(va.elastic_key, vb.elastic_key);
    EXPECT_EQ(va.stroke, vb.stroke);
    EXPECT_EQ(va.erase_x, vb.erase_x);
    EXPECT_EQ(va.erase_w, vb.erase_w);
  }
}

TEST(Augment, AViewIsAPureFunctionOfSeedStepKeyAndView) {
  const Tensor images = random_images(8, 1, 28, 28, 2);
  const std::vector<int64_t> keys = iota_keys(8, 100);
  const AugmentSpec spec;
  const std::vector<float> a = values(augment(images, spec, 1, 5, keys, 0));
  EXPECT_EQ(values(augment(images, spec, 1, 5, keys, 0)), a);
  EXPECT_NE(values(augment(images, spec, 1, 5, keys, 1)), a);  // the other view
  EXPECT_NE(values(augment(images, spec, 1, 6, keys, 0)), a);  // the next step
  EXPECT_NE(values(augment(images, spec, 2, 5, keys, 0)), a);  // another seed
  // Every example's two views differ (each view draws its own parameters).
  const std::vector<float> b = values(augment(images, spec, 1, 5, keys, 1));
  for (int64_t n = 0; n < 8; ++n)
    EXPECT_FALSE(std::equal(a.begin() + n * 784, a.begin() + (n + 1) * 784, b.begin() + n * 784)) << n;
  // An example's view follows its key, not its row: reversing rows and keys reverses the views.
  std::vector<int64_t> reversed(keys.rbegin(), keys.rend());
  std::vector<Tensor> rows;
  for (int64_t n = 7; n >= 0; --n) rows.push_back(images.slice(0, n, n + 1));
  const std::vector<float> r = values(augment(cat(rows, 0), spec, 1, 5, reversed, 0));
  for (int64_t n = 0; n < 8; ++n)
    EXPECT_TRUE(std::equal(r.begin() + n * 784, r.begin() + (n + 1) * 784, a.begin() + (7 - n) * 784)) << n;
  // Values stay in [0, 1].
  EXPECT_GE(*std::min_element(a.begin(), a.end()), 0.0f);
  EXPECT_LE(*std::max_element(a.begin(), a.end()), 1.0f);
}

TEST(Augment, TheBatchSplitChangesNothing) {
  const Tensor images = random_images(37, 1, 28, 28, 3);
  const std::vector<int64_t> keys = iota_keys(37, 1000);
  const AugmentSpec spec;
  const std::vector<float> whole = values(augment(images, spec, 4, 2, keys, 1));
  for (int64_t k : {1, 16, 36}) {
    const Tensor head = augment(images.slice(0, 0, k), spec, 4, 2, std::span(keys).subspan(0, k), 1);
    const Tensor tail = augment(images.slice(0, k, 37), spec, 4, 2, std::span(keys).subspan(k), 1);
    EXPECT_EQ(values(cat({head, tail}, 0)), whole) << "split at " << k;
  }
}

TEST(Augment, TheThreadCountChangesNothing) {
  const Tensor images = random_images(40, 2, 20, 24, 4);
  const std::vector<int64_t> keys = iota_keys(40, 7);
  const AugmentSpec spec = AugmentSpec::parse("flip=1,elastic_p=1,noise_p=1,erase_p=1");
  const std::vector<float> one = values(augment(images, spec, 9, 1, keys, 0, 1));
  for (int threads : {0, 2, 3, 7, 64}) EXPECT_EQ(values(augment(images, spec, 9, 1, keys, 0, threads)), one) << threads;
  // A rank with no rows: an empty batch in, an empty batch out.
  EXPECT_EQ(augment(Tensor::zeros({0, 2, 20, 24}), spec, 9, 1, {}, 0, 4).shape(), (Shape{0, 2, 20, 24}));
}

TEST(Augment, SpecTextRoundTripsAndNamesBadFieldsAndValues) {
  AugmentSpec spec = AugmentSpec::parse("rotation=20,noise_p=0,flip=1,erase=0.3");
  EXPECT_EQ(spec.rotation, 20);
  EXPECT_EQ(spec.noise_p, 0);
  EXPECT_TRUE(spec.flip);
  EXPECT_EQ(spec.erase, 0.3);
  EXPECT_EQ(spec.scale, AugmentSpec{}.scale);
  const AugmentSpec back = AugmentSpec::parse(spec.to_string());
  EXPECT_EQ(back.to_string(), spec.to_string());
  EXPECT_EQ(back.crop_aspect, spec.crop_aspect);  // exactly
  EXPECT_EQ(AugmentSpec::parse("").to_string(), AugmentSpec{}.to_string());
  EXPECT_EQ(AugmentSpec::parse("default").to_string(), AugmentSpec{}.to_string());
  EXPECT_EQ(AugmentSpec{}.to_string(),
            "crop_p=0.5,crop=0.2,crop_aspect=0.3333333333333333,flip=0,affine_p=1,rotation=12,scale=0.1,shear=0.15,"
            "translate=0.08,elastic_p=0.5,elastic=0.04,stroke_p=0.5,thicken=0.6,thin=0.4,noise_p=0.5,noise=0.05,"
            "erase_p=0.25,erase=0.12");
  auto message = [](const std::string& text) {
    try {
      AugmentSpec::parse(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("rotation=200"), "augment: rotation must be in [0, 180], got 200");
  EXPECT_EQ(message("noise_p=1.5"), "augment: noise_p must be in [0, 1], got 1.5");
  EXPECT_EQ(message("crop=1"), "augment: crop must be in [0, 1), got 1");
  EXPECT_EQ(message("scale=-0.1"), "augment: scale must be in [0, 1), got -0.1");
  EXPECT_EQ(message("thin=nan"), "augment: thin must be in [0, 1], got nan");
  EXPECT_EQ(message("bogus=1"), "augment: unknown field 'bogus'");
  EXPECT_EQ(message("noise=x"), "augment: noise: not a number: 'x'");
  EXPECT_EQ(message("noise"), "augment: expected field=value, got 'noise'");
  EXPECT_EQ(message("flip=2"), "augment: flip must be 0 or 1, got 2");
}

TEST(Augment, BadImagesOrKeysAreNamed) {
  auto message = [](const Tensor& images, std::vector<int64_t> keys) {
    try {
      augment(images, AugmentSpec{}, 0, 0, keys, 0);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(Tensor::zeros({2, 28, 28}), {0, 1}), "augment: images must be a 4-D [N, C, H, W] f32 host tensor");
  EXPECT_EQ(message(Tensor::zeros({2, 1, 28, 28}, DType::f64), {0, 1}),
            "augment: images must be a 4-D [N, C, H, W] f32 host tensor");
  EXPECT_EQ(message(Tensor::zeros({2, 1, 28, 28}), {0}), "augment: 1 keys for 2 images");
}
