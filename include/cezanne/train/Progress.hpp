// Progress: the training progress line,
//   "step 120/1000  loss 0.532  acc 81.2%  42.1 tasks/s  ETA 3m12s",
// redrawn in place on a terminal and printed as plain lines in a log (docs/plots.md).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

namespace cz::train {

class Progress {
 public:
  /// Monotonic seconds (any origin).
  using Clock = std::function<double()>;

  /// A run of `total_steps` steps whose first update() in this process reports `first_step`
  /// (1 for a fresh run, k + 1 when resuming after step k); the ETA is the average rate since
  /// this constructor. `interactive` defaults to isatty(fileno(out)): a terminal gets one line
  /// redrawn with '\r' at most every kRedrawSeconds, anything else a plain line at the first
  /// update, then every `log_every_seconds` (0: every update) and at the last step. `clock`
  /// defaults to std::chrono::steady_clock. `out` is not owned. Throws std::invalid_argument on
  /// total_steps < 1, first_step < 1 or log_every_seconds < 0 (or NaN).
  explicit Progress(int64_t total_steps, int64_t first_step, std::FILE* out = stderr,
                    std::optional<bool> interactive = std::nullopt, double log_every_seconds = 10.0,
                    Clock clock = {});
  /// finish().
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Step `step` is complete: its meta-batch's query loss, accuracy in [0, 1] (nullopt for
  /// regression: the field is left out) and throughput. Prints when due (see the constructor);
  /// always at step >= total_steps and, interactive, at the first update after message().
  void update(int64_t step, double loss, std::optional<double> accuracy, double tasks_per_s);

  /// Prints `text` as a line of its own (interactive: over the progress line, which the next
  /// update redraws).
  void message(const std::string& text);

  /// Prints the last update if it was not shown, and ends the progress line with a newline
  /// (interactive). Idempotent; the destructor calls it, so an exception's message starts on a
  /// line of its own.
  void finish();

  /// "45s", "3m12s", "2h05m", "3d04h"; negative, not finite or >= 1e9: "--".
  static std::string format_duration(double seconds);

  /// Interactive redraws at most this often.
  static constexpr double kRedrawSeconds = 0.1;

 private:
  struct Update {
    int64_t step;
    double loss;
    std::optional<double> accuracy;
    double tasks_per_s;
    double time;  // clock() when it came
  };

  std::string line(const Update& update) const;
  void print(const Update& update);

  int64_t total_steps_;
  int64_t first_step_;
  std::FILE* out_;
  bool interactive_;
  double log_every_seconds_;
  Clock clock_;
  double start_;
  std::optional<Update> last_;
  bool last_shown_ = false;
  std::optional<double> last_print_;  // when a line was printed; nullopt: at the next update
  bool line_open_ = false;  // interactive: the progress line is on the terminal, no newline yet
};

}  // namespace cz::train
