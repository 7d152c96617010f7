// `cezanne augment --store DIR --out FILE.png`: a PNG grid of store examples and their augmented
// views (rows: examples; columns: the example, then its views), the figure of docs/pretraining.md.
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "Command.hpp"
#include "cezanne/data/Augment.hpp"
#include "cezanne/data/ImageGrid.hpp"
#include "cezanne/data/Png.hpp"
#include "cezanne/data/Split.hpp"
#include "cezanne/data/Store.hpp"
#include "cezanne/data/UnlabelledSource.hpp"

namespace fs = std::filesystem;
namespace po = boost::program_options;

namespace cz::cli {
namespace {

int augment_command(int argc, char** argv) {
  po::options_description options(
      "cezanne augment: a PNG grid of --examples examples of --split (drawn by --seed), one per row, each followed by "
      "--views augmented views, exactly as --pseudo-tasks augmentation draws them (view v of an example is a pure "
      "function of (--seed, --step, the example's store id, v))");
  // clang-format off
  options.add_options()
    ("store", po::value<std::string>()->required(), "store directory")
    ("out", po::value<std::string>()->required(), "the PNG to write")
    ("augment", po::value<std::string>()->default_value("default"), "the augmentations: default, none, or FIELD=VALUE,... over the defaults (as cezanne train --augment)")
    ("examples", bounded<int64_t>(1, 1000)->default_value(8), "examples (rows)")
    ("views", bounded<int64_t>(1, 100)->default_value(8), "augmented views per example (columns after the example)")
    ("split", po::value<std::string>()->default_value("train"), "split of the examples: train, val or test")
    ("seed", unsigned_value()->default_value(0), "seed of the examples' draw and of the augmentations")
    ("step", bounded<int64_t>(0, 1'000'000'000)->default_value(0), "the step the views are drawn at")
    ("zoom", bounded<int64_t>(1, 16)->default_value(1), "pixels per image pixel in the PNG (nearest neighbour)");
  // clang-format on
  po::variables_map vm;
  if (!parse_options(argc, argv, "augment", options, nullptr, vm)) return 0;
  data::AugmentSpec spec;
  try {
    spec = data::AugmentSpec::parse(vm["augment"].as<std::string>());
  } catch (const std::invalid_argument& e) {
    std::string why = e.what();
    if (why.starts_with("augment: ")) why.erase(0, 9);
    throw UsageError("--augment: " + why);
  }
  data::Split split;
  try {
    split = data::parse_split(vm["split"].as<std::string>());
  } catch (const std::exception&) {
    throw UsageError("--split: train, val or test, got '" + vm["split"].as<std::string>() + "'");
  }
  const int64_t examples = vm["examples"].as<int64_t>(), views = vm["views"].as<int64_t>();
  const uint64_t seed = vm["seed"].as<uint64_t>();
  const int64_t step = vm["step"].as<int64_t>();
  const auto store = data::Store::open(vm["store"].as<std::string>());
  const data::ImageShape shape = store->shape();
  const int64_t image = shape.channels * shape.height * shape.width;

  const data::TaskBatch drawn = data::UnlabelledSource(store, split, examples, seed).sample(0, {0});
  const Tensor originals = drawn.inputs.view({examples, shape.channels, shape.height, shape.width});
  const std::vector<int64_t> keys = drawn.example_ids.to_i64_vector();
  const std::vector<double> original = originals.to_vector();
  // pixels[row][column]: column 0 the example, column 1 + v its view v
  std::vector<double> pixels(static_cast<size_t>(examples * (views + 1) * image));
  auto put = [&](int64_t row, int64_t column, const double* from) {
    std::copy(from, from + image, pixels.begin() + (row * (views + 1) + column) * image);
  };
  for (int64_t n = 0; n < examples; ++n) put(n, 0, original.data() + n * image);
  for (int64_t v = 0; v < views; ++v) {
    const std::vector<double> view = data::augment(originals, spec, seed, step, keys, v).to_vector();
    for (int64_t n = 0; n < examples; ++n) put(n, 1 + v, view.data() + n * image);
  }
  const fs::path out = vm["out"].as<std::string>();
  const data::Image grid = data::image_grid(pixels, examples * (views + 1), shape, views + 1);
  const int64_t zoom = vm["zoom"].as<int64_t>();
  data::write_png(out, data::resize_image(grid, grid.height * zoom, grid.width * zoom, data::ResizeFilter::nearest));
  std::cout << out.string() << std::endl;
  return 0;
}

const CommandRegistrar kAugment("augment", "a PNG grid of store examples and their augmented views (docs/pretraining.md)",
                                augment_command);

}  // namespace
}  // namespace cz::cli
