// PrepareCommand.cpp — `cezanne prepare <source> --out DIR`: build a store from a source.
//
// Sources are two-word commands so that `cezanne prepare --help` lists them:
//   prepare idx     MNIST-format IDX files (raw or gzip), one domain, split by class
//   prepare images  a folder of class folders of PNGs (Omniglot or flat/ImageNet layout)
//   prepare glyphs  glyphs rendered from installed fonts, one domain per writing system
//   prepare synthetic  procedurally drawn classes, as many as asked (the store at scale)
// Every store is written to `<out>.partial-<pid>` and renamed when complete (StoreWriter).
#include <cmath>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cezanne/BuildInfo.hpp"
#include "cezanne/data/Glyphs.hpp"
#include "cezanne/data/Idx.hpp"
#include "cezanne/data/ImageFolder.hpp"
#include "cezanne/data/Split.hpp"
#include "cezanne/data/StoreWriter.hpp"
#include "cezanne/data/SyntheticStore.hpp"
#include "cezanne/util/SplitList.hpp"
#include "cli/Command.hpp"

namespace po = boost::program_options;

namespace cz::cli {
namespace {

std::string code_version() {
  return std::string(build_info::kVersion) + " (git " + build_info::kGitDescribe + ")";
}

/// The command line as typed, for the store's provenance.
std::string command_line(int argc, char** argv) {
  std::string line = std::string("cezanne ") + argv[0];  // the command name, e.g. "prepare idx"
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool quote = arg.empty() || arg.find_first_of(" \t'\"") != std::string::npos;
    line += " " + (quote ? "'" + arg + "'" : arg);
  }
  return line;
}

/// "0.15" rather than Boost's "0.14999999999999999" in --help.
std::string shortest(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Bounds of the numeric options: shards of at most 1 TiB, gzip levels 0-9, fractions in [0, 1]
// (their sum is checked after parsing), images of at most 4096 x 4096 (a class of such images is
// already 16 MiB per example and channel), 1 or 3 channels, glyphs of the sizes the renderer
// takes ([8, 1024]), at most 10000 examples per class, 1e6 characters per writing system and 1024
// threads.
constexpr double kMaxShardMb = 1 << 20;
constexpr int64_t kMaxImageSize = 4096;
constexpr int64_t kMaxSyntheticClasses = 100'000'000;
constexpr int kMinGlyphSize = 8, kMaxGlyphSize = 1024, kMaxExamples = 10000,
              kMaxCharsPerScript = 1'000'000, kMaxThreads = 1024;

/// Options every file-based source shares.
void add_common(po::options_description& options, const char* split_default_help) {
  options.add_options()("out", po::value<std::string>()->required()->value_name("DIR"),
                        "store directory to create (must not exist)")(
      "shard-mb", bounded<double>({0, kMaxShardMb, true})->default_value(64)->value_name("MB"),
      "target shard size in MiB")("compression",
                                  bounded<int>(0, 9)->default_value(0)->value_name("LEVEL"),
                                  "gzip level 1-9 for examples, 0 = off")(
      "val-fraction", bounded<double>(0, 1)->default_value(0.2, "0.2")->value_name("F"),
      "fraction of split units held out for val")(
      "test-fraction", bounded<double>(0, 1)->default_value(0.2, "0.2")->value_name("F"),
      "fraction of split units held out for test (1: every class, e.g. a folder to evaluate a "
      "trained model on)")("split-by", po::value<std::string>()->value_name("domain|class"),
                           split_default_help)(
      "seed", unsigned_value()->default_value(0)->value_name("N"), "seed of the split assignment");
}

data::StoreWriterOptions writer_options(const po::variables_map& vm) {
  const double mb = vm["shard-mb"].as<double>();  // in (0, 1 TiB]
  const int level = vm["compression"].as<int>();  // in [0, 9]
  return {.target_shard_bytes = static_cast<int64_t>(mb * 1024 * 1024), .compression = level};
}

data::SplitFractions fractions(const po::variables_map& vm) {
  double val = vm["val-fraction"].as<double>(), test = vm["test-fraction"].as<double>();
  // A fraction of 1 puts every class in that split; the other one's default then means 0.
  if (test == 1 && vm["val-fraction"].defaulted()) val = 0;
  if (val == 1 && vm["test-fraction"].defaulted()) test = 0;
  const bool whole = data::whole_split({.val = val, .test = test}).has_value();
  if (!whole && !(val >= 0 && val < 1 && test >= 0 && test < 1 && val + test < 1)) {
    throw UsageError(
        "--val-fraction and --test-fraction must be in [0, 1) and sum to less than 1, or one of "
        "them 1 (every class in that split) and the other 0");
  }
  return {.val = val, .test = test, .seed = vm["seed"].as<uint64_t>()};
}

data::SplitBy split_by(const po::variables_map& vm, data::SplitBy fallback) {
  if (vm.count("split-by") == 0) return fallback;
  const std::string value = vm["split-by"].as<std::string>();
  if (value == "domain") return data::SplitBy::domain;
  if (value == "class") return data::SplitBy::class_;
  throw UsageError("--split-by must be domain or class, not '" + value + "'");
}

void report(const std::string& out, const data::ImportStats& stats) {
  std::cout << "wrote " << out << ": " << stats.domains
            << (stats.domains == 1 ? " domain, " : " domains, ") << stats.classes << " classes, "
            << stats.examples << " examples\n";
}

int run_prepare_idx(int argc, char** argv) {
  po::options_description options("prepare idx options");
  options.add_options()("images", po::value<std::string>()->required()->value_name("FILE"),
                        "IDX images [n, H, W] (raw or .gz)")(
      "labels", po::value<std::string>()->required()->value_name("FILE"),
      "IDX labels [n] (raw or .gz)")("class-names", po::value<std::string>()->value_name("A,B,..."),
                                     "names of label values 0, 1, ... (default: the values)")(
      "domain-name", po::value<std::string>()->value_name("NAME"),
      "name of the one domain (default: images file name)")("invert", "store 255 - v");
  add_common(options, "split unit: only class (an IDX pair is one domain)");
  po::variables_map vm;
  if (!parse_options(argc, argv, "prepare idx", options, nullptr, vm)) return 0;
  if (split_by(vm, data::SplitBy::class_) != data::SplitBy::class_) {
    throw UsageError(
        "--split-by domain needs several domains; an IDX pair is one (use --split-by class)");
  }
  data::IdxImportOptions idx;
  idx.images = vm["images"].as<std::string>();
  idx.labels = vm["labels"].as<std::string>();
  if (vm.count("class-names")) idx.class_names = split_list(vm["class-names"].as<std::string>(), ',', true);
  if (vm.count("domain-name")) idx.domain_name = vm["domain-name"].as<std::string>();
  idx.invert = vm.count("invert") != 0;
  idx.fractions = fractions(vm);
  const std::string out = vm["out"].as<std::string>();
  const data::Provenance provenance{
      "idx: images " + idx.images.string() + ", labels " + idx.labels.string(),
      command_line(argc, argv), code_version(), ""};
  report(out, data::prepare_idx(out, idx, provenance, writer_options(vm)));
  return 0;
}

int run_prepare_images(int argc, char** argv) {
  po::options_description options("prepare images options");
  options.add_options()("root", po::value<std::string>()->required()->value_name("DIR"),
                        "folder of class folders")(
      "layout", po::value<std::string>()->default_value("omniglot")->value_name("omniglot|flat"),
      "omniglot: ROOT/<domain>/<class>/*.png; flat: ROOT/<class>/*.png (one domain)")(
      "size", bounded<int64_t>(0, kMaxImageSize)->default_value(0)->value_name("S"),
      "resize to S x S (0: keep; all images must match)")(
      "channels", bounded<int>(1, 3)->default_value(1)->value_name("1|3"),
      "1 = grayscale, 3 = RGB")("invert", "store 255 - v (Omniglot: white strokes on black)")(
      "resize", po::value<std::string>()->default_value("bilinear")->value_name("bilinear|nearest"),
      "resize filter");
  add_common(options, "split unit (default: domain for omniglot, class for flat)");
  po::variables_map vm;
  if (!parse_options(argc, argv, "prepare images", options, nullptr, vm)) return 0;
  data::ImageFolderOptions images;
  images.root = vm["root"].as<std::string>();
  const std::string layout = vm["layout"].as<std::string>();
  if (layout != "omniglot" && layout != "flat")
    throw UsageError("--layout must be omniglot or flat, not '" + layout + "'");
  images.layout = data::parse_image_layout(layout);
  images.size = vm["size"].as<int64_t>();
  images.channels = vm["channels"].as<int>();
  if (images.channels != 1 && images.channels != 3) throw UsageError("--channels must be 1 or 3");
  images.invert = vm.count("invert") != 0;
  const std::string filter = vm["resize"].as<std::string>();
  if (filter != "bilinear" && filter != "nearest")
    throw UsageError("--resize must be bilinear or nearest");
  images.filter = filter == "nearest" ? data::ResizeFilter::nearest : data::ResizeFilter::bilinear;
  images.split_by = split_by(
      vm, images.layout == data::ImageLayout::flat ? data::SplitBy::class_ : data::SplitBy::domain);
  images.fractions = fractions(vm);
  const std::string out = vm["out"].as<std::string>();
  const data::Provenance provenance{"images (" + layout + "): " + images.root.string(),
                                    command_line(argc, argv), code_version(), ""};
  report(out, data::prepare_images(out, images, provenance, writer_options(vm)));
  return 0;
}

int run_prepare_glyphs(int argc, char** argv) {
  const data::GlyphOptions defaults;
  po::options_description options("prepare glyphs options");
  options.add_options()("out", po::value<std::string>()->required()->value_name("DIR"),
                        "store directory to create (must not exist)")(
      "font-dir",
      po::value<std::string>()->default_value(defaults.font_dir.string())->value_name("DIR"),
      "fonts to render")(
      "size",
      bounded<int>(kMinGlyphSize, kMaxGlyphSize)->default_value(defaults.size)->value_name("S"),
      "images are S x S, 1 channel")(
      "examples",
      bounded<int>(1, kMaxExamples)->default_value(defaults.examples_per_class)->value_name("N"),
      "examples per character")("scripts", po::value<std::string>()->value_name("A,B,..."),
                                "writing systems to render (default: all installed)")(
      "max-chars",
      bounded<int>(0, kMaxCharsPerScript)
          ->default_value(defaults.max_chars_per_script)
          ->value_name("N"),
      "characters kept per writing system (0 = all)")(
      "threads", bounded<int>(0, kMaxThreads)->default_value(defaults.threads)->value_name("N"),
      "render threads (0 = all cores)")(
      "val-fraction",
      bounded<double>(0, 1)
          ->default_value(defaults.val_fraction, shortest(defaults.val_fraction))
          ->value_name("F"),
      "fraction of writing systems held out for val")(
      "test-fraction",
      bounded<double>(0, 1)
          ->default_value(defaults.test_fraction, shortest(defaults.test_fraction))
          ->value_name("F"),
      "fraction of writing systems held out for test")(
      "seed", unsigned_value()->default_value(defaults.seed)->value_name("N"),
      "seed of the split and the distortions");
  po::variables_map vm;
  if (!parse_options(argc, argv, "prepare glyphs", options, nullptr, vm)) return 0;
  data::GlyphOptions glyphs;
  glyphs.font_dir = vm["font-dir"].as<std::string>();
  glyphs.size = vm["size"].as<int>();
  glyphs.examples_per_class = vm["examples"].as<int>();
  if (vm.count("scripts")) glyphs.scripts = split_list(vm["scripts"].as<std::string>(), ',', true);
  glyphs.max_chars_per_script = vm["max-chars"].as<int>();
  glyphs.threads = vm["threads"].as<int>();
  glyphs.val_fraction = vm["val-fraction"].as<double>();
  glyphs.test_fraction = vm["test-fraction"].as<double>();
  glyphs.seed = vm["seed"].as<uint64_t>();
  const std::string out = vm["out"].as<std::string>();
  const data::Provenance provenance{"glyphs: " + glyphs.font_dir.string(), command_line(argc, argv),
                                    code_version(), ""};
  const data::GlyphStats stats = data::prepare_glyphs(out, glyphs, provenance);
  std::cout << "wrote " << out << ": " << stats.scripts << " writing systems, " << stats.characters
            << " classes, " << stats.examples << " examples in " << stats.seconds << " s\n";
  return 0;
}

int run_prepare_synthetic(int argc, char** argv) {
  const data::SyntheticStoreOptions defaults;
  po::options_description options("prepare synthetic options");
  options.add_options()(
      "classes", bounded<int64_t>(1, kMaxSyntheticClasses)->default_value(defaults.classes)->value_name("N"),
      "classes to draw")("examples", bounded<int64_t>(1, kMaxExamples)->default_value(defaults.examples)->value_name("N"),
                         "examples per class")(
      "size", bounded<int64_t>(1, kMaxImageSize)->default_value(defaults.size)->value_name("S"),
      "images are S x S, 1 channel")(
      "domains", bounded<int64_t>(1, kMaxSyntheticClasses)->default_value(defaults.domains)->value_name("N"),
      "domains of consecutive classes");
  add_common(options, "split unit: only class");
  po::variables_map vm;
  if (!parse_options(argc, argv, "prepare synthetic", options, nullptr, vm)) return 0;
  if (split_by(vm, data::SplitBy::class_) != data::SplitBy::class_)
    throw UsageError("--split-by domain: prepare synthetic splits by class");
  data::SyntheticStoreOptions synthetic;
  synthetic.classes = vm["classes"].as<int64_t>();
  synthetic.examples = vm["examples"].as<int64_t>();
  synthetic.size = vm["size"].as<int64_t>();
  synthetic.domains = vm["domains"].as<int64_t>();
  if (synthetic.domains > synthetic.classes)
    throw UsageError("--domains " + std::to_string(synthetic.domains) + " exceeds --classes " +
                     std::to_string(synthetic.classes));
  synthetic.fractions = fractions(vm);
  const std::string out = vm["out"].as<std::string>();
  const data::Provenance provenance{"synthetic: " + std::to_string(synthetic.classes) + " classes",
                                    command_line(argc, argv), code_version(), ""};
  report(out, data::prepare_synthetic(out, synthetic, provenance, writer_options(vm)));
  return 0;
}

const CommandRegistrar kPrepareIdx("prepare idx", "build a store from MNIST-format IDX files",
                                   run_prepare_idx);
const CommandRegistrar kPrepareImages("prepare images", "build a store from folders of PNG images",
                                      run_prepare_images);
const CommandRegistrar kPrepareGlyphs("prepare glyphs",
                                      "build a store of glyphs rendered from installed fonts",
                                      run_prepare_glyphs);
const CommandRegistrar kPrepareSynthetic("prepare synthetic",
                                         "build a store of procedurally drawn classes, as many as asked",
                                         run_prepare_synthetic);

}  // namespace
}  // namespace cz::cli
