// The training progress line: throttled redraws on a terminal, timed plain lines in a log.
#include "cezanne/train/Progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <utility>

namespace cz::train {

namespace {

constexpr const char* kClearToEnd = "\x1b[K";  // ANSI: erase from the cursor to the line's end

// snprintf into a string of any length.
template <class... Args>
std::string printed(const char* format, Args... args) {
  std::string text(static_cast<std::size_t>(std::snprintf(nullptr, 0, format, args...)), '\0');
  std::snprintf(text.data(), text.size() + 1, format, args...);
  return text;
}

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Progress::Progress(int64_t total_steps, int64_t first_step, std::FILE* out,
                   std::optional<bool> interactive, double log_every_seconds, Clock clock)
    : total_steps_(total_steps),
      first_step_(first_step),
      out_(out),
      interactive_(interactive.value_or(::isatty(::fileno(out)) != 0)),
      log_every_seconds_(log_every_seconds),
      clock_(clock ? std::move(clock) : Clock(steady_seconds)),
      start_(clock_()) {
  if (total_steps < 1 || first_step < 1 || !(log_every_seconds >= 0.0)) {
    throw std::invalid_argument(
        "Progress: needs total_steps >= 1, first_step >= 1 and log_every_seconds >= 0");
  }
}

Progress::~Progress() { finish(); }

void Progress::update(int64_t step, double loss, std::optional<double> accuracy,
                      double tasks_per_s) {
  last_ = Update{step, loss, accuracy, tasks_per_s, clock_()};
  last_shown_ = false;
  const double interval = interactive_ ? kRedrawSeconds : log_every_seconds_;
  if (!last_print_ || step >= total_steps_ || last_->time - *last_print_ >= interval) {
    print(*last_);
  }
}

void Progress::message(const std::string& text) {
  if (line_open_) {
    std::fputs("\r", out_);
    std::fputs(kClearToEnd, out_);
    line_open_ = false;
    last_print_.reset();
  }
  std::fputs(text.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void Progress::finish() {
  if (last_ && !last_shown_) print(*last_);
  if (line_open_) {
    std::fputc('\n', out_);
    std::fflush(out_);
    line_open_ = false;
  }
}

std::string Progress::format_duration(double seconds) {
  if (!(seconds >= 0.0 && seconds < 1e9)) return "--";
  const long long s = std::llround(seconds);
  if (s < 60) return printed("%llds", s);
  if (s < 3600) return printed("%lldm%02llds", s / 60, s % 60);
  if (s < 86400) return printed("%lldh%02lldm", s / 3600, s % 3600 / 60);
  return printed("%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

std::string Progress::line(const Update& update) const {
  // The average rate since the constructor; unknown before any step or time has passed.
  const double completed = static_cast<double>(update.step - first_step_ + 1);
  const double elapsed = update.time - start_;
  double eta = -1.0;
  if (update.step >= total_steps_) {
    eta = 0.0;
  } else if (completed > 0.0 && elapsed > 0.0) {
    eta = static_cast<double>(total_steps_ - update.step) * elapsed / completed;
  }
  std::string text = printed("step %lld/%lld  loss %.4g", static_cast<long long>(update.step),
                             static_cast<long long>(total_steps_), update.loss);
  if (update.accuracy) text += printed("  acc %.1f%%", *update.accuracy * 100.0);
  text += printed("  %.1f tasks/s  ETA ", update.tasks_per_s);
  return text + format_duration(eta);
}

void Progress::print(const Update& update) {
  const std::string text = line(update);
  if (interactive_) {
    std::fputc('\r', out_);
    std::fputs(text.c_str(), out_);
    std::fputs(kClearToEnd, out_);
    line_open_ = true;
  } else {
    std::fputs(text.c_str(), out_);
    std::fputc('\n', out_);
  }
  std::fflush(out_);
  last_print_ = update.time;
  last_shown_ = true;
}

}  // namespace cz::train
