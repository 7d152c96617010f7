// MetricsLog: one row per meta-step in RUN_DIR/metrics.csv and RUN_DIR/metrics.jsonl.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>

namespace cz::train {

/// The header line of metrics.csv.
inline constexpr const char* kMetricsHeader =
    "step,loss,train_accuracy,val_accuracy,val_ci95,tasks_per_s,seconds";

/// One meta-step. step counts completed meta-steps (1-based). Regression runs leave
/// train_accuracy empty and put the validation MSE in val_accuracy.
struct StepRecord {
  int64_t step = 0;
  double loss = 0.0;
  std::optional<double> train_accuracy;
  std::optional<double> val_accuracy, val_ci95;
  double tasks_per_s = 0.0;
  double seconds = 0.0;  ///< wall seconds of the run so far, over all its invocations
};

/// Appends rows to metrics.csv (kMetricsHeader, empty fields for absent values) and
/// metrics.jsonl (one object per row, absent values left out), flushing after each row, so a
/// killed run keeps every row it finished.
class MetricsLog {
 public:
  /// A fresh run (resume_step 0) starts both files over. A resumed run keeps the rows of steps
  /// <= resume_step and drops later ones (work the interruption lost and the resumed run
  /// redoes), rewriting each file through a temporary and a rename. Throws std::runtime_error
  /// naming the file when it cannot be read or written.
  MetricsLog(const std::filesystem::path& dir, int64_t resume_step);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  void append(const StepRecord& record);
  /// The seconds of the last kept row (0 for a fresh run): where the resumed clock starts.
  double resumed_seconds() const { return resumed_seconds_; }

 private:
  std::filesystem::path csv_path_, jsonl_path_;
  std::FILE* csv_ = nullptr;
  std::FILE* jsonl_ = nullptr;
  double resumed_seconds_ = 0.0;
};

}  // namespace cz::train
