// PlotCommand.cpp — `cezanne plot RUN_DIR [--out FILE] [--title TEXT]`: a run's learning curves.
//
// Reads RUN_DIR/metrics.csv, draws it with gnuplot (cz::train::plot_metrics) into FILE
// (default RUN_DIR/curves.png) and prints FILE's path. docs/plots.md shows what is drawn.
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>

#include "cezanne/train/Plot.hpp"
#include "cli/Command.hpp"

namespace fs = std::filesystem;
namespace po = boost::program_options;

namespace cz::cli {
namespace {

// The name of a directory as given: "runs/a/" and "runs/a/." are "a", "." is the cwd's name.
std::string directory_name(const fs::path& dir) {
  fs::path normal = fs::absolute(dir).lexically_normal();
  if (!normal.has_filename()) normal = normal.parent_path();
  return normal.filename().string();
}

// The largest side of the PNG: 10000 x 10000 pixels are 400 MB in gnuplot's cairo surface.
constexpr int kMaxPixels = 10000;

int run_plot(int argc, char** argv) {
  po::options_description options("plot options");
  options.add_options()
      ("run", po::value<std::string>()->value_name("RUN_DIR")->required(),
       "the run directory, with its metrics.csv")
      ("out", po::value<std::string>()->value_name("FILE"),
       "the PNG to write (default RUN_DIR/curves.png)")
      ("title", po::value<std::string>()->value_name("TEXT"),
       "the title above the panels (default the run directory's name)")
      ("width", bounded<int>(1, kMaxPixels)->default_value(train::PlotOptions().width), "width in pixels")
      ("height", bounded<int>(1, kMaxPixels)->default_value(train::PlotOptions().height), "height in pixels");
  po::positional_options_description positional;
  positional.add("run", 1);
  po::variables_map vm;
  if (!parse_options(argc, argv, "plot", options, &positional, vm)) return 0;

  const fs::path run = vm["run"].as<std::string>();
  const fs::path csv = run / "metrics.csv";
  std::error_code ec;
  if (!fs::exists(csv, ec)) throw UsageError(csv.string() + ": no such file");
  train::PlotOptions plot;
  plot.title = vm.count("title") != 0 ? vm["title"].as<std::string>() : directory_name(run);
  plot.width = vm["width"].as<int>();
  plot.height = vm["height"].as<int>();
  const fs::path out =
      vm.count("out") != 0 ? fs::path(vm["out"].as<std::string>()) : run / "curves.png";

  train::plot_metrics(csv, out, plot);
  std::cout << out.string() << std::endl;
  return 0;
}

const CommandRegistrar kPlot("plot", "draw a run's learning curves (metrics.csv) into a PNG",
                             run_plot);

}  // namespace
}  // namespace cz::cli
