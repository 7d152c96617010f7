// PrepareCommand.cpp — `cezanne prepare <source> --out DIR`: build a store from a source.
//
// Sources are two-word commands so that `cezanne prepare --help` lists them:
//   prepare idx     MNIST-format IDX files (raw or gzip), one domain, split by class
//   prepare images  a folder of class folders of PNGs (Omniglot or flat/ImageNet layout)
//   prepare glyphs  glyphs rendered from installed fonts, one domain per writing system
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

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

/// Options every file-based source shares.
void add_common(po::options_description& options, const char* split_default_help) {
  options.add_options()("out", po::value<std::string>()->required()->value_name("DIR"),
                        "store directory to create (must not exist)")(
      "shard-mb", po::value<double>()->default_value(64)->value_name("MB"),
      "target shard size in MiB")("compression",
                                  po::value<int>()->default_value(0)->value_name("LEVEL"),
                                  "gzip level 1-9 for examples, 0 = off")(
      "val-fraction", po::value<double>()->default_value(0.2, "0.2")->value_name("F"),
      "fraction of split units held out for val")(
      "test-fraction", po::value<double>()->default_value(0.2, "0.2")->value_name("F"),
      "fraction of split units held out for test (1: every class, e.g. a folder to evaluate a "
      "trained model on)")("split-by", po::value<std::string>()->value_name("domain|class"),
                           split_default_help)(
      "seed", po::value<uint64_t>()->default_value(0)->value_name("N"),
      "seed of the split assignment");
}

data::StoreWriterOptions writer_options(const po::variables_map& vm) {
  const double mb = vm["shard-mb"].as<double>();
  if (!(mb > 0) || !std::isfinite(mb)) throw UsageError("--shard-mb must be positive");
  const int level = vm["compression"].as<int>();
  if (level < 0 || level > 9) throw UsageError("--compression must be 0-9");
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
  if (vm.count("class-names")) idx.class_names = split_commas(vm["class-names"].as<std::string>());
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
      "size", po::value<int64_t>()->default_value(0)->value_name("S"),
      "resize to S x S (0: keep; all images must match)")(
      "channels", po::value<int>()->default_value(1)->value_name("1|3"), "1 = grayscale, 3 = RGB")(
      "invert", "store 255 - v (Omniglot: white strokes on black)")(
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
  if (images.size < 0) throw UsageError("--size must be >= 0");
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
      "fonts to render")("size", po::value<int>()->default_value(defaults.size)->value_name("S"),
                         "images are S x S, 1 channel")(
      "examples", po::value<int>()->default_value(defaults.examples_per_class)->value_name("N"),
      "examples per character")("scripts", po::value<std::string>()->value_name("A,B,..."),
                                "writing systems to render (default: all installed)")(
      "max-chars", po::value<int>()->default_value(defaults.max_chars_per_script)->value_name("N"),
      "characters kept per writing system (0 = all)")(
      "threads", po::value<int>()->default_value(defaults.threads)->value_name("N"),
      "render threads (0 = all cores)")(
      "val-fraction",
      po::value<double>()
          ->default_value(defaults.val_fraction, shortest(defaults.val_fraction))
          ->value_name("F"),
      "fraction of writing systems held out for val")(
      "test-fraction",
      po::value<double>()
          ->default_value(defaults.test_fraction, shortest(defaults.test_fraction))
          ->value_name("F"),
      "fraction of writing systems held out for test")(
      "seed", po::value<uint64_t>()->default_value(defaults.seed)->value_name("N"),
      "seed of the split and the distortions");
  po::variables_map vm;
  if (!parse_options(argc, argv, "prepare glyphs", options, nullptr, vm)) return 0;
  data::GlyphOptions glyphs;
  glyphs.font_dir = vm["font-dir"].as<std::string>();
  glyphs.size = vm["size"].as<int>();
  glyphs.examples_per_class = vm["examples"].as<int>();
  if (vm.count("scripts")) glyphs.scripts = split_commas(vm["scripts"].as<std::string>());
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

const CommandRegistrar kPrepareIdx("prepare idx", "build a store from MNIST-format IDX files",
                                   run_prepare_idx);
const CommandRegistrar kPrepareImages("prepare images", "build a store from folders of PNG images",
                                      run_prepare_images);
const CommandRegistrar kPrepareGlyphs("prepare glyphs",
                                      "build a store of glyphs rendered from installed fonts",
                                      run_prepare_glyphs);

}  // namespace
}  // namespace cz::cli
