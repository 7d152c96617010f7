// Tests of the glyphs importer on the installed Noto fonts and on font folders made by the tests.
#include "cezanne/data/Glyphs.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "H5py.hpp"
#include "cezanne/data/Store.hpp"
#include "cezanne/data/StoreError.hpp"

namespace cz::data {
namespace {

namespace fs = std::filesystem;

const fs::path kNoto = GlyphOptions{}.font_dir;

bool have_noto() { return fs::exists(kNoto / "NotoSansArmenian-Regular.ttf") && fs::exists(kNoto / "NotoSansGeorgian-Regular.ttf"); }

#define REQUIRE_NOTO()                                                                            \
  if (!have_noto()) GTEST_SKIP() << "fonts-noto-core is not installed in " << kNoto.string()

// A fresh directory under the system temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("cz-glyphs-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

int64_t ink(const uint8_t* image, size_t area) { return std::accumulate(image, image + area, int64_t{0}); }

Script find_script(const GlyphOptions& options, const std::string& name) {
  GlyphOptions o = options;
  o.scripts = {name};
  auto scripts = discover_scripts(o);
  EXPECT_EQ(scripts.size(), 1u);
  return scripts.at(0);
}

TEST(Glyphs, TableKnowsMoreThanAHundredWritingSystems) {
  const auto names = glyph_script_names();
  EXPECT_GE(names.size(), 140u);
  for (const char* name : {"Armenian", "Georgian", "Runic", "Tifinagh", "Bengali", "Latin", "Old Italic"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

TEST(Glyphs, DiscoversTheInstalledWritingSystems) {
  REQUIRE_NOTO();
  const auto scripts = discover_scripts(GlyphOptions{});
  int64_t chars = 0;
  for (const auto& s : scripts) {
    EXPECT_GE(s.chars.size(), 5u) << s.name;
    EXPECT_LE(s.chars.size(), 60u) << s.name;  // the default cap
    EXPECT_FALSE(s.fonts.empty()) << s.name;
    EXPECT_TRUE(std::is_sorted(s.chars.begin(), s.chars.end())) << s.name;
    chars += static_cast<int64_t>(s.chars.size());
  }
  EXPECT_GE(scripts.size(), 100u);
  EXPECT_GE(chars, 3000);
  const auto armenian = std::find_if(scripts.begin(), scripts.end(), [](auto& s) { return s.name == "Armenian"; });
  ASSERT_NE(armenian, scripts.end());
  // Sans and Serif, Regular and Bold, Regulars first.
  ASSERT_EQ(armenian->fonts.size(), 4u);
  EXPECT_EQ(armenian->fonts[0].filename(), "NotoSansArmenian-Regular.ttf");
  EXPECT_EQ(armenian->fonts[1].filename(), "NotoSerifArmenian-Regular.ttf");
  EXPECT_EQ(armenian->fonts[2].filename(), "NotoSansArmenian-Bold.ttf");
}

TEST(Glyphs, LatinKeepsLettersAndDropsDuplicates) {
  REQUIRE_NOTO();
  GlyphOptions options;
  options.max_chars_per_script = 0;
  const Script latin = find_script(options, "latin");  // names match case-insensitively
  EXPECT_EQ(latin.name, "Latin");
  EXPECT_GE(latin.chars.size(), 40u);
  EXPECT_LE(latin.chars.size(), 52u);
  for (char32_t c : latin.chars) EXPECT_TRUE((c >= U'A' && c <= U'Z') || (c >= U'a' && c <= U'z')) << static_cast<uint32_t>(c);
  // 'o' is a smaller 'O' and stays; 'A' is a letter of its own and stays.
  EXPECT_NE(std::find(latin.chars.begin(), latin.chars.end(), U'A'), latin.chars.end());
}

TEST(Glyphs, CapSpreadsCharactersOverTheScript) {
  REQUIRE_NOTO();
  GlyphOptions options;
  options.max_chars_per_script = 10;
  const Script georgian = find_script(options, "Georgian");
  ASSERT_EQ(georgian.chars.size(), 10u);
  EXPECT_GT(georgian.chars.back() - georgian.chars.front(), 40u);  // not the first ten letters
}

TEST(Glyphs, RenderExamplesAreDistinctNonBlankAndDeterministic) {
  REQUIRE_NOTO();
  GlyphOptions options;
  options.seed = 7;
  const Script armenian = find_script(options, "Armenian");
  const auto a = render_examples(armenian, U'\u0531', options);
  const size_t area = 28 * 28;
  ASSERT_EQ(a.size(), 20 * area);
  std::set<std::vector<uint8_t>> distinct;
  for (int e = 0; e < 20; ++e) {
    const uint8_t* image = a.data() + area * e;
    EXPECT_GT(ink(image, area), 255 * 30) << "example " << e;  // at least 30 pixels of ink
    EXPECT_EQ(*std::max_element(image, image + area), 255) << "example " << e;
    // The glyph is centred and fits: (almost) no ink on the border.
    int64_t border = 0;
    for (int i = 0; i < 28; ++i) border += image[i] + image[27 * 28 + i] + image[i * 28] + image[i * 28 + 27];
    EXPECT_LT(border, 255 * 3) << "example " << e;
    distinct.insert(std::vector<uint8_t>(image, image + area));
  }
  EXPECT_EQ(distinct.size(), 20u);
  EXPECT_EQ(render_examples(armenian, U'\u0531', options), a);
  options.seed = 8;
  EXPECT_NE(render_examples(armenian, U'\u0531', options), a);
}

TEST(Glyphs, SizeAndCountAreConfigurable) {
  REQUIRE_NOTO();
  GlyphOptions options;
  options.size = 40;
  options.examples_per_class = 3;
  const Script runic = find_script(options, "Runic");
  const auto images = render_examples(runic, runic.chars.front(), options);
  ASSERT_EQ(images.size(), 3u * 40 * 40);
  for (int e = 0; e < 3; ++e) EXPECT_GT(ink(images.data() + 1600 * e, 1600), 255 * 40);
}

TEST(Glyphs, BadRequestsThrow) {
  GlyphOptions options;
  options.scripts = {"Klingon"};
  EXPECT_THROW(discover_scripts(options), StoreError);
  options.scripts = {};
  options.size = 2;
  EXPECT_THROW(discover_scripts(options), StoreError);
  REQUIRE_NOTO();
  options = GlyphOptions{};
  const Script armenian = find_script(options, "Armenian");
  EXPECT_THROW(render_examples(armenian, U'\u10D0', options), StoreError);  // a Georgian letter
}

// A font folder made by the test: one Armenian font under its own name, and a file that is
// not a font. Only Armenian is found, with that one font; a missing folder finds nothing.
TEST(Glyphs, DiscoversFontsOfAFolder) {
  REQUIRE_NOTO();
  TempDir dir;
  fs::copy_file(kNoto / "NotoSansArmenian-Regular.ttf", dir.path / "NotoSansArmenian-Regular.ttf");
  std::ofstream(dir.path / "README.txt") << "not a font\n";
  GlyphOptions options;
  options.font_dir = dir.path;
  const auto scripts = discover_scripts(options);
  ASSERT_EQ(scripts.size(), 1u);
  EXPECT_EQ(scripts[0].name, "Armenian");
  ASSERT_EQ(scripts[0].fonts.size(), 1u);
  EXPECT_GE(scripts[0].chars.size(), 60u);  // 38 capitals, 39 small letters, capped at 60
  options.scripts = {"Georgian"};
  EXPECT_THROW(discover_scripts(options), StoreError);  // asked for, not installed
  options.scripts = {};
  options.font_dir = dir.path / "missing";
  EXPECT_TRUE(discover_scripts(options).empty());
}

// A glyph store from two writing systems, written and read back through Store.
TEST(Glyphs, PreparesAStoreOfTwoWritingSystems) {
  REQUIRE_NOTO();
  TempDir dir;
  GlyphOptions options;
  options.scripts = {"Georgian", "Armenian"};
  options.max_chars_per_script = 10;
  options.examples_per_class = 20;
  options.seed = 3;
  options.threads = 3;
  const GlyphStats stats = prepare_glyphs(dir.path / "store", options, Provenance{"", "test", "test", ""});
  EXPECT_EQ(stats.scripts, 2);
  EXPECT_EQ(stats.characters, 20);
  EXPECT_EQ(stats.examples, 400);
  EXPECT_GE(stats.seconds, 0.0);

  const auto store = Store::open(dir.path / "store");
  EXPECT_EQ(store->shape().height, 28);
  EXPECT_EQ(store->shape().width, 28);
  EXPECT_EQ(store->shape().channels, 1);
  ASSERT_EQ(store->domains().size(), 2u);
  EXPECT_EQ(store->domains()[0].name, "Armenian");  // table order, whatever the request's
  EXPECT_EQ(store->domains()[1].name, "Georgian");
  EXPECT_NE(store->domains()[0].split, store->domains()[1].split);  // one train, one held out
  ASSERT_EQ(store->classes().size(), 20u);

  const auto scripts = discover_scripts(options);
  ASSERT_EQ(scripts.size(), 2u);
  for (int32_t d = 0; d < 2; ++d) {
    const auto in_domain = store->classes_in(store->domains()[d].split, d);
    ASSERT_EQ(in_domain.size(), 10u);
    for (size_t k = 0; k < in_domain.size(); ++k) {
      const ClassInfo& info = store->classes()[in_domain[k]];
      EXPECT_EQ(info.num_examples, 20);
      char name[16];
      std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(scripts[d].chars[k]));
      EXPECT_EQ(info.name, name);
      const auto data = store->read_class(in_domain[k]);
      ASSERT_EQ(data->size(), 20u * 28 * 28);
      for (int e = 0; e < 20; ++e) EXPECT_GT(ink(data->data() + 784 * e, 784), 255 * 20);
      // What the store holds is what render_examples draws, whatever the thread count.
      if (k == 0) {
        EXPECT_EQ(*data, render_examples(scripts[d], scripts[d].chars[k], options));
      }
    }
  }
  // What the examples are made from: the renderer, the font package and each font file.
  const std::string& inputs = store->metadata().provenance.inputs;
  EXPECT_EQ(inputs.rfind("renderer FreeType ", 0), 0u) << inputs;
  std::string version;
  if (cz::testing::run_capturing("dpkg-query -W -f '${Version}' fonts-noto-core 2>/dev/null", version) == 0) {
    EXPECT_NE(inputs.find("\npackage fonts-noto-core " + version + "\n"), std::string::npos) << inputs;
  }
  const fs::path font = kNoto / "NotoSansArmenian-Regular.ttf";
  EXPECT_NE(inputs.find("\nfont NotoSansArmenian-Regular.ttf " + std::to_string(fs::file_size(font)) + "\n"),
            std::string::npos)
      << inputs;
  EXPECT_EQ(store->metadata().examples_sha256.size(), 64u);
  EXPECT_THROW(prepare_glyphs(dir.path / "store", options, Provenance{}), StoreError);  // exists
}

TEST(Glyphs, PrepareIsDeterministicAcrossThreadCounts) {
  REQUIRE_NOTO();
  TempDir dir;
  GlyphOptions options;
  options.scripts = {"Runic", "Ogham", "Cherokee"};
  options.max_chars_per_script = 6;
  options.examples_per_class = 4;
  options.threads = 1;
  prepare_glyphs(dir.path / "a", options, Provenance{});
  options.threads = 4;
  prepare_glyphs(dir.path / "b", options, Provenance{});
  const auto a = Store::open(dir.path / "a"), b = Store::open(dir.path / "b");
  ASSERT_EQ(a->classes().size(), 18u);
  ASSERT_EQ(b->classes().size(), 18u);
  for (int64_t c = 0; c < 18; ++c) {
    EXPECT_EQ(a->classes()[c].name, b->classes()[c].name);
    EXPECT_EQ(*a->read_class(c), *b->read_class(c));
  }
  EXPECT_EQ(a->metadata().examples_sha256, b->metadata().examples_sha256);
}

TEST(Glyphs, WritesAPngGrid) {
  REQUIRE_NOTO();
  TempDir dir;
  GlyphOptions options;
  options.scripts = {"Armenian", "Runic", "Tifinagh"};
  const auto scripts = discover_scripts(options);
  write_glyph_grid(dir.path / "grid.png", scripts, options, 12, 2);
  std::ifstream in(dir.path / "grid.png", std::ios::binary);
  unsigned char header[24] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  ASSERT_EQ(in.gcount(), 24);
  EXPECT_EQ(header[1], 'P');
  EXPECT_EQ(header[2], 'N');
  EXPECT_EQ(header[3], 'G');
  auto be32 = [&](int at) { return (header[at] << 24) | (header[at + 1] << 16) | (header[at + 2] << 8) | header[at + 3]; };
  EXPECT_EQ(be32(16), 12 * (56 + 2) + 2);  // IHDR width
  EXPECT_EQ(be32(20), 3 * (56 + 2) + 2);   // IHDR height
}

}  // namespace
}  // namespace cz::data
