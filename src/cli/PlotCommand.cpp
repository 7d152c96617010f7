// PlotCommand.cpp — `cezanne plot RUN_DIR [--out FILE] [--title TEXT]`: a run's learning curves;
// `cezanne plot --tasks A.json B.json --out FILE`: two multi-task runs' per-task accuracies;
// `cezanne plot --scaling FILE.jsonl --out FILE`: a scaling sweep (cz::train::plot_scaling).
//
// Reads RUN_DIR/metrics.csv, draws it with gnuplot (cz::train::plot_metrics) into FILE
// (default RUN_DIR/curves.png) and prints FILE's path; with --tasks, the lines `cezanne eval`
// printed for two multitask checkpoints (cz::train::plot_task_accuracies). docs/plots.md shows
// what is drawn.
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

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
      ("run", po::value<std::string>()->value_name("RUN_DIR"),
       "the run directory, with its metrics.csv")
      ("tasks", po::value<std::vector<std::string>>()->multitoken()->value_name("A.json B.json"),
       "instead of RUN_DIR: two files with what `cezanne eval` printed for two multitask checkpoints; draws their per-task test accuracies side by side (needs --out)")
      ("scaling", po::value<std::string>()->value_name("FILE.jsonl"),
       "instead of RUN_DIR: the lines of `cezanne bench scaling`; draws efficiency and the step time's parts vs ranks (needs --out)")
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

  if (vm.count("tasks") != 0) {
    const std::vector<std::string> files = vm["tasks"].as<std::vector<std::string>>();
    if (files.size() != 2) throw UsageError("--tasks: two files, got " + std::to_string(files.size()));
    if (vm.count("run") != 0) throw UsageError("give RUN_DIR or --tasks, not both");
    if (vm.count("out") == 0) throw UsageError("--out: required with --tasks (the PNG to write)");
    train::PlotOptions plot;
    plot.title = vm.count("title") != 0 ? vm["title"].as<std::string>() : "per-task test accuracy";
    plot.width = vm["width"].defaulted() ? 1600 : vm["width"].as<int>();
    plot.height = vm["height"].as<int>();
    const fs::path out = vm["out"].as<std::string>();
    train::plot_task_accuracies(files[0], files[1], out, plot);
    std::cout << out.string() << std::endl;
    return 0;
  }
  if (vm.count("scaling") != 0) {
    if (vm.count("run") != 0 || vm.count("tasks") != 0) throw UsageError("give one of RUN_DIR, --tasks or --scaling");
    if (vm.count("out") == 0) throw UsageError("--out: required with --scaling (the PNG to write)");
    train::PlotOptions plot;
    plot.title = vm.count("title") != 0 ? vm["title"].as<std::string>() : "scaling";
    plot.width = vm["width"].defaulted() ? 1600 : vm["width"].as<int>();
    plot.height = vm["height"].defaulted() ? 700 : vm["height"].as<int>();
    const fs::path out = vm["out"].as<std::string>();
    train::plot_scaling(vm["scaling"].as<std::string>(), out, plot);
    std::cout << out.string() << std::endl;
    return 0;
  }
  if (vm.count("run") == 0)
    throw UsageError("the run directory RUN_DIR is required (or --tasks A.json B.json, or --scaling FILE.jsonl)");
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

const CommandRegistrar kPlot("plot", "draw a run's learning curves (metrics.csv), two multitask runs' per-task accuracies, or a scaling sweep, into a PNG",
                             run_plot);

}  // namespace
}  // namespace cz::cli
