// Plot: a run's metrics.csv (one row per meta-step, written by the trainer) read back, and
// drawn as learning curves into a PNG by gnuplot (`cezanne plot`, docs/plots.md).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "cezanne/learn/Calibration.hpp"
#include "cezanne/train/MetricsLog.hpp"

namespace cz::train {

/// Reads a metrics.csv as MetricsLog writes it (empty fields: nullopt). Numbers are what
/// std::from_chars reads ("nan" included); step is an integer >= 1; loss, tasks_per_s and
/// seconds must be set; val_accuracy and val_ci95 are both set or both empty; a trailing '\r'
/// is ignored. A last line without its '\n' that does not parse is skipped (the trainer is
/// still writing it). Throws std::runtime_error, one line: "<csv>: no such file",
/// "<csv>: line 1: expected header '<kMetricsHeader>'", "<csv>: line <n>: <what is wrong>",
/// "<csv>: no rows".
std::vector<StepRecord> read_metrics_csv(const std::filesystem::path& csv);

/// The moving-average window for `rows` rows: 5% of them rounded, at least 1.
std::size_t smoothing_window(std::size_t rows);

/// Trailing moving average: out[i] is the mean of the finite values among
/// values[max(0, i-window+1) .. i], NaN where there are none (so NaN marks missing values, and
/// a diverged step does not poison the curve). Throws std::invalid_argument on window 0.
std::vector<double> moving_average(const std::vector<double>& values, std::size_t window);

struct PlotOptions {
  std::string title;  ///< above both panels (control characters become spaces)
  int width = 1000;   ///< pixels
  int height = 800;
};

/// Draws `csv` (read_metrics_csv) into `png` with gnuplot: the meta-training loss per step (raw
/// and its moving average) above the training accuracy (moving average) and the validation
/// accuracy with its 95% CI as a band; for regression (no train_accuracy) the lower panel is
/// the validation MSE, and it is left out when there is nothing to draw in it. Uses pngcairo,
/// or gnuplot's png terminal without cairo. Writes `<png>.partial-<pid>` and renames it, so a
/// failed plot leaves no PNG behind. Throws std::runtime_error, one line: read_metrics_csv's
/// errors, "<dir>: no such directory" (png's), "gnuplot not found on PATH (apt-get install
/// gnuplot-nox)", "gnuplot failed: <its error>", and std::invalid_argument on a size < 1.
void plot_metrics(const std::filesystem::path& csv, const std::filesystem::path& png,
                  const PlotOptions& options);

/// One task's test accuracy, as `cezanne eval` prints it for a multitask checkpoint.
struct TaskResult {
  std::string task;
  double accuracy = 0.0;
  double ci95 = 0.0;
};

/// The per_task list of a file holding the JSON line `cezanne eval` printed for a multitask
/// checkpoint. Throws std::runtime_error, one line: "<file>: no such file", "<file>: no
/// per_task list (...)", "<file>: the per_task list is empty".
std::vector<TaskResult> read_task_results(const std::filesystem::path& json);

/// Draws two runs' per-task test accuracies side by side (`cezanne plot --tasks A B`): grouped
/// bars, tasks in order of run A's accuracy, each run labelled with its file's stem and its
/// mean. Both files must hold the same tasks ("<B>: has no task 'X' (of <A>)"). Errors as
/// plot_metrics, plus read_task_results'.
void plot_task_accuracies(const std::filesystem::path& a, const std::filesystem::path& b,
                          const std::filesystem::path& png, const PlotOptions& options);

/// Draws a classifier's reliability diagram (`cezanne eval --reliability`): for each of the 15
/// confidence bins with predictions, a bar of its accuracy against the bin's mean confidence,
/// the diagonal of perfect calibration, and the ECE in the key. Errors as plot_metrics.
void plot_reliability(const learn::ReliabilityBins& bins, const std::filesystem::path& png,
                      const PlotOptions& options);

/// One line of `cezanne bench scaling` (the fields the plot draws; seconds per step).
struct ScalingPoint {
  std::string series;  ///< "<algo> <mode>"
  int ranks = 1;
  double efficiency = 0.0;  ///< NaN where the line's is null
  double sampling = 0.0, compute = 0.0, communication = 0.0, optimizer = 0.0;
};

/// The lines of a bench scaling JSON lines file (blank lines skipped). Throws
/// std::runtime_error, one line: "<file>: no such file", "<file>: line <n>: no field '<name>'
/// (not a bench scaling line)", "<file>: line <n>: bad <name>", "<file>: no lines".
std::vector<ScalingPoint> read_scaling_points(const std::filesystem::path& jsonl);

/// Draws a scaling sweep (`cezanne plot --scaling`): efficiency against 1 rank vs ranks (a
/// curve per algo and mode), beside the step time's sampling, compute, communication and
/// optimizer parts vs ranks; repeats at a rank count are averaged. Errors as plot_metrics, plus
/// read_scaling_points'.
void plot_scaling(const std::filesystem::path& jsonl, const std::filesystem::path& png, const PlotOptions& options);

}  // namespace cz::train
