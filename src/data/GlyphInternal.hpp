// Internals of the glyphs importer shared by Glyphs.cpp, GlyphScripts.cpp and GlyphDistort.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "cezanne/tensor/Random.hpp"

namespace cz::data::detail {

/// One row of the table of writing systems: the font family stems that cover it (files
/// `<stem>-<Style>.ttf`) and the code points worth rendering, as inclusive ranges.
struct GlyphScriptSpec {
  const char* name;
  std::vector<const char*> font_stems;
  std::vector<std::pair<char32_t, char32_t>> ranges;
};

/// The table, in alphabetical order of the Unicode script names.
const std::vector<GlyphScriptSpec>& glyph_script_table();

/// Images are drawn on a canvas kOversample times the output size, then area-averaged down.
inline constexpr int kOversample = 3;

/// The random part of one example. Lengths are fractions of the image side, so a
/// distortion means the same at every output size; angles are radians.
struct Distortion {
  double rotation = 0, scale = 1, shear = 0;  // affine jitter, applied to the outline
  double shift_x = 0, shift_y = 0;            // translation of the glyph's box centre (y up)
  double stroke = 0;                          // outline emboldening (negative thins)
  double elastic_alpha = 0;                   // std dev of the elastic field's control points
  uint64_t elastic_key = 0;                   // Philox key of that field
};

/// Draws the distortion of one example.
Distortion sample_distortion(CounterRng& rng);

/// Warps a canvas (side `canvas_side` px, row-major, top row first, float ink in [0, 255]) by the elastic field of `d`, then
/// area-averages it kOversample times down into `out` (side canvas / kOversample).
void warp_and_downsample(const std::vector<float>& canvas, int canvas_side, const Distortion& d, uint8_t* out);

/// What a glyph store is made from, for Provenance::inputs, one item per line: "renderer
/// FreeType X.Y.Z", "package NAME VERSION" for each Debian package owning a font (from
/// dpkg-query; "package unknown (...)" where it cannot say), "font FILE BYTES" for each font.
std::string glyph_inputs(const std::vector<std::filesystem::path>& fonts);

}  // namespace cz::data::detail
