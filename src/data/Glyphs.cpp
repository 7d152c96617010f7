// The glyphs importer: finds writing systems among installed fonts, renders their characters
// with FreeType and seeded distortions, and writes one domain per writing system.
#include "cezanne/data/Glyphs.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_BBOX_H
#include FT_BITMAP_H
#include FT_OUTLINE_H

#include <png.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "GlyphInternal.hpp"
#include "cezanne/data/Split.hpp"
#include "cezanne/data/StoreError.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::data {
namespace {

using detail::Distortion;
using detail::kOversample;

// The typical glyph of a font (its kTypicalQuantile extent over the script's characters)
// fills kBoxFraction of the image, so relative sizes inside a script survive (MNIST fits
// digits to a 20/28 box); a larger glyph is shrunk to fit kMaxFraction.
constexpr double kTypicalQuantile = 0.5;
constexpr double kBoxFraction = 0.70;
constexpr double kMaxFraction = 0.82;
// Thinning removes at most this fraction of a glyph's stroke width; no stroke ends up
// thinner than kMinStrokeWidth output pixels.
constexpr double kMaxThinning = 0.3;
constexpr double kMinStrokeWidth = 0.8;
constexpr double kCanvasFraction = 0.86;  // after jitter, a glyph keeps a margin of ~2 px
// A glyph is "nearly blank" below this much ink (in full pixels, per image area) at the
// output size; two glyphs are duplicates when their L1 distance is below kDuplicateL1 of ink.
constexpr double kMinInk = 0.012;
constexpr double kDuplicateL1 = 0.03;
constexpr size_t kMinCharsPerScript = 5;

std::string ft_error(FT_Error error) {
  const char* s = FT_Error_String(error);
  return s ? std::string(s) : "FreeType error " + std::to_string(error);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// Lowercase without spaces, '_' and '-': "Old Italic", "old_italic" and "OldItalic" match.
std::string normalize_name(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == ' ' || c == '_' || c == '-') continue;
    r += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return r;
}

std::string code_point_name(char32_t ch) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(ch));
  return buf;
}

// One FreeType library and its open faces per thread: FreeType objects are not thread-safe.
class FtContext {
 public:
  FtContext() {
    if (const FT_Error e = FT_Init_FreeType(&library_)) throw StoreError("glyphs: FT_Init_FreeType: " + ft_error(e));
  }
  ~FtContext() {
    for (auto& [path, face] : faces_) FT_Done_Face(face);
    FT_Done_FreeType(library_);
  }
  FtContext(const FtContext&) = delete;
  FtContext& operator=(const FtContext&) = delete;

  FT_Library library() const { return library_; }

  FT_Face face(const std::filesystem::path& path) {
    auto it = faces_.find(path.string());
    if (it != faces_.end()) return it->second;
    FT_Face face = nullptr;
    if (const FT_Error e = FT_New_Face(library_, path.c_str(), 0, &face)) {
      throw StoreError("glyphs: " + path.string() + ": cannot open font: " + ft_error(e));
    }
    faces_.emplace(path.string(), face);
    return face;
  }

  /// kTypicalQuantile extent (max of width, height) of the glyphs of `chars` in `face`, in
  /// ems; cached per (font, character list).
  double typical_extent(const std::filesystem::path& path, const std::vector<char32_t>& chars) {
    uint64_t key = fnv1a(path.string());
    for (char32_t c : chars) key = mix_key({key, c});
    auto it = extents_.find(key);
    if (it != extents_.end()) return it->second;
    FT_Face f = face(path);
    std::vector<double> extents;
    for (char32_t c : chars) {
      const FT_UInt index = FT_Get_Char_Index(f, c);
      if (index == 0 || FT_Load_Glyph(f, index, FT_LOAD_NO_SCALE) != 0) continue;
      if (f->glyph->format != FT_GLYPH_FORMAT_OUTLINE || f->glyph->outline.n_points == 0) continue;
      FT_BBox box;
      FT_Outline_Get_BBox(&f->glyph->outline, &box);
      extents.push_back(static_cast<double>(std::max(box.xMax - box.xMin, box.yMax - box.yMin)) / f->units_per_EM);
    }
    double extent = 0.7;  // a font with no outline at all never gets drawn; any value will do
    if (!extents.empty()) {
      auto nth = extents.begin() + static_cast<std::ptrdiff_t>(kTypicalQuantile * static_cast<double>(extents.size() - 1));
      std::nth_element(extents.begin(), nth, extents.end());
      extent = std::max(*nth, 1e-3);
    }
    extents_.emplace(key, extent);
    return extent;
  }

 private:
  FT_Library library_ = nullptr;
  std::unordered_map<std::string, FT_Face> faces_;
  std::unordered_map<uint64_t, double> extents_;
};

FtContext& ft_context() {
  thread_local FtContext context;
  return context;
}

// Buffers reused by every drawing on a thread.
struct Scratch {
  std::vector<uint8_t> raster;
  std::vector<float> canvas;
};

/// Mean stroke width of an outline, in its units: a stroke of width w and length L has area
/// w*L and perimeter ~2L. Area and perimeter are those of the control polygons (holes
/// subtract: their contours turn the other way), close enough for curves.
double stroke_width(const FT_Outline& outline) {
  double area = 0, perimeter = 0;
  int first = 0;
  for (int c = 0; c < outline.n_contours; ++c) {
    const int last = outline.contours[c];
    for (int i = first; i <= last; ++i) {
      const FT_Vector& a = outline.points[i];
      const FT_Vector& b = outline.points[i == last ? first : i + 1];
      area += static_cast<double>(a.x) * b.y - static_cast<double>(b.x) * a.y;
      perimeter += std::hypot(static_cast<double>(b.x - a.x), static_cast<double>(b.y - a.y));
    }
    first = last + 1;
  }
  return perimeter > 0 ? std::abs(area) / perimeter : 0.0;  // 2 * (|area| / 2) / perimeter
}

/// Draws `ch` from `font` into `out` (size*size bytes). `typical_extent` is the font's, in ems.
/// Returns false (and a black image) when the glyph has no outline. `advance` receives the
/// glyph's advance in font units.
bool draw_glyph(FtContext& ft, const std::filesystem::path& font, char32_t ch, double typical_extent,
                const Distortion& d, int size, uint8_t* out, long* advance = nullptr) {
  const int side = size * kOversample;
  thread_local Scratch scratch;
  scratch.raster.assign(static_cast<size_t>(side) * side, 0);
  std::fill(out, out + static_cast<size_t>(size) * size, 0);

  FT_Face face = ft.face(font);
  const FT_UInt index = FT_Get_Char_Index(face, ch);
  if (index == 0) return false;
  if (const FT_Error e = FT_Load_Glyph(face, index, FT_LOAD_NO_SCALE)) {
    throw StoreError("glyphs: " + font.string() + ": " + code_point_name(ch) + ": " + ft_error(e));
  }
  FT_GlyphSlot slot = face->glyph;
  if (advance) *advance = slot->advance.x;
  if (slot->format != FT_GLYPH_FORMAT_OUTLINE || slot->outline.n_points == 0) return false;
  FT_Outline* outline = &slot->outline;

  // Font units -> canvas pixels, so that a typical glyph fills kBoxFraction of the image.
  FT_BBox box;
  FT_Outline_Get_BBox(outline, &box);
  double px_per_unit = kBoxFraction * side / (typical_extent * face->units_per_EM);
  const double extent_px = static_cast<double>(std::max(box.xMax - box.xMin, box.yMax - box.yMin)) * px_per_unit;
  if (extent_px > kMaxFraction * side) px_per_unit *= kMaxFraction * side / extent_px;

  // Affine jitter on the outline itself (exact, no resampling): rotation * shear * scale,
  // into 26.6 pixels. FT_Matrix is 16.16: x' = xx*x + xy*y, y' = yx*x + yy*y.
  const double s = px_per_unit * d.scale * 64.0;
  const double c = std::cos(d.rotation), n = std::sin(d.rotation);
  auto fixed = [](double v) { return static_cast<FT_Fixed>(std::lround(v * 65536.0)); };
  FT_Matrix m{fixed(c * s), fixed((c * d.shear - n) * s), fixed(n * s), fixed((n * d.shear + c) * s)};
  FT_Outline_Transform(outline, &m);

  // Stroke change, bounded by the glyph's own stroke width so thinning never erases a
  // line-art glyph (Egyptian, Anatolian), and hairline glyphs are thickened to stay visible.
  const double width = stroke_width(*outline) / 64.0;
  double delta = d.stroke * side;
  delta = std::max(delta, -kMaxThinning * width);
  delta = std::max(delta, kMinStrokeWidth * kOversample - width);
  if (delta != 0) FT_Outline_EmboldenXY(outline, std::lround(delta * 64.0), std::lround(delta * 64.0));

  FT_Outline_Get_BBox(outline, &box);
  const double extent = static_cast<double>(std::max(box.xMax - box.xMin, box.yMax - box.yMin)) / 64.0;
  if (extent > kCanvasFraction * side) {
    const double shrink = kCanvasFraction * side / extent;
    FT_Matrix k{fixed(shrink), 0, 0, fixed(shrink)};
    FT_Outline_Transform(outline, &k);
    FT_Outline_Get_BBox(outline, &box);
  }
  // Centre the glyph's box (plus the jitter) on the canvas, y up in outline space; the jitter
  // of a large glyph is cut so that its box keeps a one-output-pixel margin.
  auto centre = [&](FT_Pos lo, FT_Pos hi, double shift) {
    const double half = (hi - lo) / 2.0, margin = kOversample * 64.0, full = side * 64.0;
    double target = (0.5 + shift) * full;
    if (half + margin < full / 2) target = std::clamp(target, half + margin, full - half - margin);
    return std::lround(target - (lo + hi) / 2.0);
  };
  FT_Outline_Translate(outline, centre(box.xMin, box.xMax, d.shift_x), centre(box.yMin, box.yMax, d.shift_y));

  FT_Bitmap bitmap;
  FT_Bitmap_Init(&bitmap);
  bitmap.rows = static_cast<unsigned>(side);
  bitmap.width = static_cast<unsigned>(side);
  bitmap.pitch = side;  // positive: first row is the top one
  bitmap.buffer = scratch.raster.data();
  bitmap.num_grays = 256;
  bitmap.pixel_mode = FT_PIXEL_MODE_GRAY;
  if (const FT_Error e = FT_Outline_Get_Bitmap(ft.library(), outline, &bitmap)) {
    throw StoreError("glyphs: " + font.string() + ": " + code_point_name(ch) + ": rendering: " + ft_error(e));
  }
  scratch.canvas.assign(scratch.raster.begin(), scratch.raster.end());
  detail::warp_and_downsample(scratch.canvas, side, d, out);
  return true;
}

/// Example `e` of `ch` in `script` into `out`, with the fonts that map `ch` given by index.
void draw_example(FtContext& ft, const Script& script, const std::vector<size_t>& fonts_with_char, char32_t ch,
                  int e, const GlyphOptions& options, uint8_t* out) {
  const auto& font = script.fonts[fonts_with_char[static_cast<size_t>(e) % fonts_with_char.size()]];
  CounterRng rng(mix_key({options.seed, fnv1a(script.name), static_cast<uint64_t>(ch), static_cast<uint64_t>(e)}));
  const Distortion d = detail::sample_distortion(rng);
  draw_glyph(ft, font, ch, ft.typical_extent(font, script.chars), d, options.size, out);
}

std::vector<size_t> fonts_mapping(FtContext& ft, const Script& script, char32_t ch) {
  std::vector<size_t> fonts;
  for (size_t i = 0; i < script.fonts.size(); ++i) {
    if (FT_Get_Char_Index(ft.face(script.fonts[i]), ch) != 0) fonts.push_back(i);
  }
  return fonts;
}

void check_options(const GlyphOptions& options) {
  if (options.size < 8 || options.size > 1024) {
    throw StoreError("glyphs: size must be in [8, 1024], got " + std::to_string(options.size));
  }
  if (options.examples_per_class < 1) {
    throw StoreError("glyphs: examples per class must be >= 1, got " + std::to_string(options.examples_per_class));
  }
  if (options.max_chars_per_script < 0) {
    throw StoreError("glyphs: max chars per script must be >= 0, got " + std::to_string(options.max_chars_per_script));
  }
}

int thread_count(const GlyphOptions& options) {
  if (options.threads > 0) return options.threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

/// Runs fn(i) for i in [0, n) on `threads` threads; rethrows the first exception.
template <class Fn>
void parallel_for(size_t n, int threads, Fn&& fn) {
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;
      }
    }
  };
  const int count = static_cast<int>(std::min<size_t>(static_cast<size_t>(std::max(threads, 1)), n));
  std::vector<std::thread> pool;
  for (int t = 1; t < count; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

/// The installed fonts of a table row, in round-robin order: every family's Regular, then
/// every Bold, then other styles (italics, slanted), families in table order.
std::vector<std::filesystem::path> find_fonts(const detail::GlyphScriptSpec& spec,
                                              const std::vector<std::filesystem::path>& files) {
  struct Found {
    int style_rank, family;
    std::filesystem::path path;
  };
  std::vector<Found> found;
  for (const auto& file : files) {
    const std::string name = file.filename().string(), ext = file.extension().string();
    if (ext != ".ttf" && ext != ".otf") continue;
    for (size_t family = 0; family < spec.font_stems.size(); ++family) {
      const std::string prefix = std::string(spec.font_stems[family]) + "-";
      if (name.rfind(prefix, 0) != 0) continue;
      const std::string style = name.substr(prefix.size(), name.size() - prefix.size() - ext.size());
      const int rank = style == "Regular" ? 0 : style == "Bold" ? 1 : 2;
      found.push_back({rank, static_cast<int>(family), file});
    }
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    if (a.style_rank != b.style_rank) return a.style_rank < b.style_rank;
    if (a.family != b.family) return a.family < b.family;
    return a.path < b.path;
  });
  std::vector<std::filesystem::path> fonts;
  for (auto& f : found) fonts.push_back(f.path);
  return fonts;
}

/// Order in which candidates are tried: with a cap, first `cap` indices spread evenly over
/// the candidates (so a capped script keeps its whole range), then the rest to fill gaps.
std::vector<size_t> selection_order(size_t n, size_t cap) {
  std::vector<size_t> order;
  if (cap == 0 || n <= cap) {
    for (size_t i = 0; i < n; ++i) order.push_back(i);
    return order;
  }
  std::vector<bool> taken(n, false);
  for (size_t k = 0; k < cap; ++k) {
    const size_t i = k * n / cap;
    order.push_back(i);
    taken[i] = true;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!taken[i]) order.push_back(i);
  }
  return order;
}

/// Finds one table row's fonts and renderable characters; nullopt when it has no font or
/// fewer than kMinCharsPerScript characters.
std::optional<Script> discover_one(const detail::GlyphScriptSpec& spec, const std::vector<std::filesystem::path>& files,
                                   const GlyphOptions& options) {
  Script script{spec.name, find_fonts(spec, files), {}};
  if (script.fonts.empty()) return std::nullopt;
  FtContext& ft = ft_context();

  // Candidates: code points some font maps, each with the first font that maps it.
  std::vector<char32_t> candidates;
  std::vector<size_t> first_font;
  for (auto [lo, hi] : spec.ranges) {
    for (char32_t c = lo; c <= hi; ++c) {
      for (size_t f = 0; f < script.fonts.size(); ++f) {
        if (FT_Get_Char_Index(ft.face(script.fonts[f]), c) != 0) {
          candidates.push_back(c);
          first_font.push_back(f);
          break;
        }
      }
    }
  }

  // The canonical (undistorted) image of each tried candidate decides blank and duplicate.
  const int size = options.size;
  const size_t area = static_cast<size_t>(size) * size;
  const size_t cap = static_cast<size_t>(options.max_chars_per_script);
  std::vector<std::vector<uint8_t>> kept_images;
  std::multimap<int64_t, size_t> kept_by_ink;  // ink -> index into kept_images
  std::vector<uint8_t> image(area);
  for (size_t i : selection_order(candidates.size(), cap)) {
    if (cap != 0 && script.chars.size() >= cap) break;
    const auto& font = script.fonts[first_font[i]];
    long advance = 0;
    if (!draw_glyph(ft, font, candidates[i], ft.typical_extent(font, candidates), Distortion{}, size, image.data(),
                    &advance)) {
      continue;
    }
    if (advance == 0) continue;  // a combining mark drawn on its own
    int64_t ink = 0;
    for (uint8_t v : image) ink += v;
    if (static_cast<double>(ink) < kMinInk * 255.0 * static_cast<double>(area)) continue;
    // Near duplicates have nearly the same ink, so only those need comparing.
    const auto window = static_cast<int64_t>(kDuplicateL1 * static_cast<double>(ink)) + 1;
    bool duplicate = false;
    for (auto it = kept_by_ink.lower_bound(ink - window); it != kept_by_ink.end() && it->first <= ink + window; ++it) {
      const auto& other = kept_images[it->second];
      int64_t l1 = 0;
      for (size_t p = 0; p < area; ++p) l1 += std::abs(static_cast<int>(image[p]) - static_cast<int>(other[p]));
      if (static_cast<double>(l1) < kDuplicateL1 * static_cast<double>(std::max(ink, it->first))) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    kept_by_ink.emplace(ink, kept_images.size());
    kept_images.push_back(image);
    script.chars.push_back(candidates[i]);
  }
  if (script.chars.size() < kMinCharsPerScript) return std::nullopt;
  std::sort(script.chars.begin(), script.chars.end());
  return script;
}

void write_png(const std::filesystem::path& path, const std::vector<uint8_t>& pixels, int width, int height) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw StoreError("glyphs: cannot write " + path.string());
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
    throw StoreError("glyphs: libpng failed writing " + path.string());
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y) {
    png_write_row(png, const_cast<png_bytep>(pixels.data() + static_cast<size_t>(y) * width));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(file) != 0) throw StoreError("glyphs: cannot write " + path.string());
}

}  // namespace

std::vector<std::string> glyph_script_names() {
  std::vector<std::string> names;
  for (const auto& spec : detail::glyph_script_table()) names.emplace_back(spec.name);
  return names;
}

std::vector<Script> discover_scripts(const GlyphOptions& options) {
  check_options(options);
  const auto& table = detail::glyph_script_table();
  std::vector<size_t> rows;
  if (options.scripts.empty()) {
    for (size_t i = 0; i < table.size(); ++i) rows.push_back(i);
  } else {
    for (const auto& wanted : options.scripts) {
      auto it = std::find_if(table.begin(), table.end(),
                             [&](const auto& spec) { return normalize_name(spec.name) == normalize_name(wanted); });
      if (it == table.end()) {
        throw StoreError("glyphs: unknown writing system '" + wanted + "' (see glyph_script_names())");
      }
      rows.push_back(static_cast<size_t>(it - table.begin()));
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  }

  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(options.font_dir, ec), end; !ec && it != end; it.increment(ec)) {
    files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());

  std::vector<std::optional<Script>> found(rows.size());
  parallel_for(rows.size(), thread_count(options), [&](size_t i) { found[i] = discover_one(table[rows[i]], files, options); });

  std::vector<Script> scripts;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (found[i]) {
      scripts.push_back(std::move(*found[i]));
    } else if (!options.scripts.empty()) {
      throw StoreError("glyphs: writing system '" + std::string(table[rows[i]].name) + "' has no font in " +
                       options.font_dir.string() + " or fewer than " + std::to_string(kMinCharsPerScript) +
                       " renderable characters");
    }
  }
  return scripts;
}

std::vector<uint8_t> render_examples(const Script& script, char32_t ch, const GlyphOptions& options) {
  check_options(options);
  FtContext& ft = ft_context();
  const auto fonts = fonts_mapping(ft, script, ch);
  if (fonts.empty()) throw StoreError("glyphs: no font of " + script.name + " maps " + code_point_name(ch));
  const size_t area = static_cast<size_t>(options.size) * options.size;
  std::vector<uint8_t> examples(area * static_cast<size_t>(options.examples_per_class));
  for (int e = 0; e < options.examples_per_class; ++e) {
    draw_example(ft, script, fonts, ch, e, options, examples.data() + area * static_cast<size_t>(e));
  }
  return examples;
}

GlyphStats prepare_glyphs(const std::filesystem::path& out, const GlyphOptions& options, const Provenance& provenance) {
  const auto start = std::chrono::steady_clock::now();
  check_options(options);
  Provenance prov = provenance;
  if (prov.source.empty()) {
    prov.source = "glyphs rendered from fonts in " + options.font_dir.string() + " (fonts-noto-core)";
  }
  const int64_t size = options.size;
  StoreWriter writer(out, ImageShape{size, size, 1}, prov);

  const std::vector<Script> scripts = discover_scripts(options);
  if (scripts.empty()) throw StoreError("glyphs: no writing system found in " + options.font_dir.string());
  if (prov.inputs.empty()) {
    std::set<std::filesystem::path> fonts;
    for (const Script& script : scripts) fonts.insert(script.fonts.begin(), script.fonts.end());
    writer.record_inputs(detail::glyph_inputs({fonts.begin(), fonts.end()}));
  }
  const std::vector<Split> splits =
      assign_splits(static_cast<int64_t>(scripts.size()), SplitFractions{options.val_fraction, options.test_fraction, options.seed});

  struct Task {
    size_t script;
    char32_t ch;
  };
  std::vector<Task> tasks;
  for (size_t s = 0; s < scripts.size(); ++s) {
    for (char32_t ch : scripts[s].chars) tasks.push_back({s, ch});
  }

  // Render a batch in parallel, then write it in order: the store does not depend on timing.
  const int threads = thread_count(options);
  const size_t batch = static_cast<size_t>(threads) * 32;
  std::vector<int32_t> domains;
  for (size_t s = 0; s < scripts.size(); ++s) domains.push_back(writer.add_domain(scripts[s].name, splits[s]));
  std::vector<std::vector<uint8_t>> rendered(batch);
  for (size_t first = 0; first < tasks.size(); first += batch) {
    const size_t n = std::min(batch, tasks.size() - first);
    parallel_for(n, threads, [&](size_t i) {
      const Task& t = tasks[first + i];
      rendered[i] = render_examples(scripts[t.script], t.ch, options);
    });
    for (size_t i = 0; i < n; ++i) {
      const Task& t = tasks[first + i];
      writer.add_class(domains[t.script], code_point_name(t.ch), rendered[i].data(), options.examples_per_class);
    }
  }
  writer.finish();

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return GlyphStats{static_cast<int>(scripts.size()), static_cast<int64_t>(tasks.size()),
                    static_cast<int64_t>(tasks.size()) * options.examples_per_class, seconds};
}

void write_glyph_grid(const std::filesystem::path& png, const std::vector<Script>& scripts, const GlyphOptions& options,
                      int chars_per_row, int zoom) {
  check_options(options);
  if (chars_per_row < 1 || zoom < 1) throw StoreError("glyphs: grid needs chars_per_row >= 1 and zoom >= 1");
  if (scripts.empty()) throw StoreError("glyphs: grid of no writing system");
  constexpr int kGap = 2;
  constexpr uint8_t kGapGray = 96;
  const int cell = options.size * zoom;
  const int width = chars_per_row * (cell + kGap) + kGap;
  const int height = static_cast<int>(scripts.size()) * (cell + kGap) + kGap;
  std::vector<uint8_t> pixels(static_cast<size_t>(width) * height, kGapGray);
  const size_t area = static_cast<size_t>(options.size) * options.size;

  std::vector<uint8_t> image(area);
  FtContext& ft = ft_context();
  for (size_t row = 0; row < scripts.size(); ++row) {
    const Script& script = scripts[row];
    for (int col = 0; col < chars_per_row; ++col) {
      const int x0 = kGap + col * (cell + kGap), y0 = kGap + static_cast<int>(row) * (cell + kGap);
      std::fill(image.begin(), image.end(), 0);
      if (static_cast<size_t>(col) < script.chars.size()) {
        const size_t n = script.chars.size(), cols = std::min(n, static_cast<size_t>(chars_per_row));
        const char32_t ch = script.chars[static_cast<size_t>(col) * n / cols];
        const auto fonts = fonts_mapping(ft, script, ch);
        if (!fonts.empty()) draw_example(ft, script, fonts, ch, col % options.examples_per_class, options, image.data());
      }
      for (int y = 0; y < cell; ++y) {
        for (int x = 0; x < cell; ++x) {
          pixels[static_cast<size_t>(y0 + y) * width + x0 + x] =
              image[static_cast<size_t>(y / zoom) * options.size + x / zoom];
        }
      }
    }
  }
  write_png(png, pixels, width, height);
}

}  // namespace cz::data
