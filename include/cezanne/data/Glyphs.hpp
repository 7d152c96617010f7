// The glyphs importer: the default data set, rendered offline from installed Noto fonts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cezanne/data/StoreWriter.hpp"

namespace cz::data {

/// What to render and how. One writing system is one domain; one character is one class.
struct GlyphOptions {
  std::filesystem::path font_dir = "/usr/share/fonts/truetype/noto";
  int size = 28;  ///< output images are size x size, 1 channel, ink = 255 on black
  int examples_per_class = 20;
  uint64_t seed = 0;
  double val_fraction = 0.15, test_fraction = 0.25;  ///< fractions of writing systems
  std::vector<std::string> scripts;                  ///< empty = all available; names as in glyph_script_names()
  /// Characters kept per writing system, spread evenly over the script's code points;
  /// 0 = no cap. The default keeps giant scripts (Tangut, Yi, Cuneiform, hieroglyphs) from
  /// swamping the alphabets: with it the default store has ~6000 classes in ~90 MB.
  int max_chars_per_script = 60;
  int threads = 0;  ///< 0 = hardware concurrency
};

struct GlyphStats {
  int scripts;
  int64_t characters;
  int64_t examples;
  double seconds;
};

/// A writing system as found in `font_dir`: its fonts (in round-robin order: every family's
/// Regular, then every Bold, then the other styles) and its renderable characters, ascending.
struct Script {
  std::string name;
  std::vector<std::filesystem::path> fonts;
  std::vector<char32_t> chars;
};

/// Names of every writing system the importer knows (whether or not its fonts are installed),
/// in table order ("Adlam", "Ahom", ..., "Armenian", ...).
std::vector<std::string> glyph_script_names();

/// Renders every writing system found in `font_dir` and writes a store to `out` through
/// StoreWriter: one domain per writing system (split by domain, seeded), one class per
/// character named "U+XXXX", examples_per_class images each. Deterministic for a seed and a
/// set of fonts, whatever the thread count. Throws StoreError when `out` exists, an option is
/// out of range, a requested script is unknown or not installed, or no script is found.
GlyphStats prepare_glyphs(const std::filesystem::path& out, const GlyphOptions& options, const Provenance& provenance);

/// The writing systems found in `options.font_dir` (those of `options.scripts`, or all), in
/// table order. A script counts when at least one of its fonts is installed and it has >= 5
/// characters left after dropping those no font maps, combining marks (zero advance), glyphs
/// that render blank or nearly blank, and glyphs whose image duplicates an earlier one's.
std::vector<Script> discover_scripts(const GlyphOptions& options);

/// The examples of one character: examples_per_class images of size x size bytes
/// (count*size*size), example e drawn from the e-th font that maps `ch` (round robin) with
/// seeded distortions (affine jitter, stroke thickness, elastic noise). A pure function of
/// (options.seed, script name, ch, example index, fonts, options.size). Throws StoreError if
/// no font of the script maps `ch`.
std::vector<uint8_t> render_examples(const Script& script, char32_t ch, const GlyphOptions& options);

/// Writes a grayscale PNG: one row per script, `chars_per_row` characters spread evenly over
/// the script's characters (cell c shows example c mod examples_per_class, so fonts alternate),
/// cells of options.size pixels magnified `zoom` times, separated by 2-pixel gray lines.
void write_glyph_grid(const std::filesystem::path& png, const std::vector<Script>& scripts, const GlyphOptions& options,
                      int chars_per_row = 12, int zoom = 1);

}  // namespace cz::data
