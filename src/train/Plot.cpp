// metrics.csv parsing, and the gnuplot script that draws it (run with posix_spawn: safe in a
// process with OpenMP and MPI threads, unlike fork).
#include "cezanne/train/Plot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace fs = std::filesystem;

namespace cz::train {

namespace {

constexpr std::array<const char*, 7> kColumns = {
    "step", "loss", "train_accuracy", "val_accuracy", "val_ci95", "tasks_per_s", "seconds"};

// A malformed row: the message without the "<csv>: line <n>: " prefix.
struct RowError {
  std::string what;
};

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t comma = line.find(',', begin);
    fields.push_back(line.substr(begin, comma - begin));
    if (comma == std::string_view::npos) return fields;
    begin = comma + 1;
  }
}

std::optional<double> optional_number(std::string_view text, const char* column) {
  if (text.empty()) return std::nullopt;
  double value = 0.0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    throw RowError{std::string(column) + ": '" + std::string(text) + "' is not a number"};
  }
  return value;
}

double number(std::string_view text, const char* column) {
  const std::optional<double> value = optional_number(text, column);
  if (!value) throw RowError{std::string(column) + " is empty"};
  return *value;
}

StepRecord parse_row(std::string_view line) {
  const std::vector<std::string_view> fields = split_fields(line);
  if (fields.size() != kColumns.size()) {
    throw RowError{"expected " + std::to_string(kColumns.size()) + " fields, got " +
                   std::to_string(fields.size())};
  }
  StepRecord row;
  const std::string_view step = fields[0];
  const auto [ptr, ec] = std::from_chars(step.data(), step.data() + step.size(), row.step);
  if (ec != std::errc() || ptr != step.data() + step.size() || row.step < 1) {
    throw RowError{"step: '" + std::string(step) + "' is not an integer >= 1"};
  }
  row.loss = number(fields[1], kColumns[1]);
  row.train_accuracy = optional_number(fields[2], kColumns[2]);
  row.val_accuracy = optional_number(fields[3], kColumns[3]);
  row.val_ci95 = optional_number(fields[4], kColumns[4]);
  if (row.val_accuracy.has_value() != row.val_ci95.has_value()) {
    throw RowError{"val_accuracy and val_ci95 must both be set or both be empty"};
  }
  row.tasks_per_s = number(fields[5], kColumns[5]);
  row.seconds = number(fields[6], kColumns[6]);
  return row;
}

// --- the gnuplot script ----------------------------------------------------------------------

// A gnuplot single-quoted string: nothing is special inside but the quote itself, doubled.
std::string gnuplot_string(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// A datablock value: shortest round-trip form; NaN (gnuplot's undefined) for anything else.
std::string value(double v) {
  if (!std::isfinite(v)) return "NaN";
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
  return std::string(buffer.data(), result.ptr);
}

std::string steps(std::size_t n) { return std::to_string(n) + (n == 1 ? " step" : " steps"); }

std::string gnuplot_script(const std::vector<StepRecord>& rows, const fs::path& output,
                           const PlotOptions& options) {
  const bool regression = std::none_of(
      rows.begin(), rows.end(), [](const StepRecord& r) { return r.train_accuracy.has_value(); });
  const double scale = regression ? 1.0 : 100.0;  // accuracies in percent
  const std::size_t window = smoothing_window(rows.size());
  std::vector<double> loss;
  std::vector<double> train;
  for (const StepRecord& r : rows) {
    loss.push_back(r.loss);
    train.push_back(r.train_accuracy.value_or(std::numeric_limits<double>::quiet_NaN()) * scale);
  }
  const std::vector<double> loss_average = moving_average(loss, window);
  const std::vector<double> train_average = moving_average(train, window);

  std::string title = options.title;
  std::replace_if(
      title.begin(), title.end(), [](unsigned char c) { return std::iscntrl(c); }, ' ');
  const std::string size = std::to_string(options.width) + "," + std::to_string(options.height);
  std::ostringstream s;
  s << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
    << "  set terminal pngcairo size " << size << " noenhanced font 'sans,10'\n"
    << "} else {\n"
    << "  set terminal png size " << size << " noenhanced truecolor\n"
    << "}\n"
    << "set output " << gnuplot_string(output.string()) << "\n";

  s << "$metrics << EOD\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    s << rows[i].step << ' ' << value(loss[i]) << ' ' << value(loss_average[i]) << ' '
      << value(train_average[i]) << '\n';
  }
  s << "EOD\n$validation << EOD\n";
  bool validation = false;
  for (const StepRecord& r : rows) {
    if (!r.val_accuracy) continue;
    validation = true;
    const double v = *r.val_accuracy * scale;
    const double ci = *r.val_ci95 * scale;
    s << r.step << ' ' << value(v) << ' ' << value(v - ci) << ' ' << value(v + ci) << '\n';
  }
  s << "EOD\n";

  const bool second_panel = !regression || validation;
  const auto [first, last] =
      std::minmax_element(rows.begin(), rows.end(),
                          [](const StepRecord& a, const StepRecord& b) { return a.step < b.step; });
  s << "set multiplot layout " << (second_panel ? 2 : 1) << ",1 title " << gnuplot_string(title)
    << " font ',13'\n"
    << "set grid\nset lmargin 12\nset xlabel 'meta-step'\n";
  if (first->step < last->step) s << "set xrange [" << first->step << ":" << last->step << "]\n";

  s << "set title 'meta-training loss (query set)'\nset ylabel 'loss'\nset key top right\n"
    << "plot $metrics using 1:2 with lines lw 0.5 lc rgb '#9ecae1' title 'loss', \\\n"
    << "     $metrics using 1:3 with lines lw 2 lc rgb '#08519c' title "
    << gnuplot_string("moving average, " + steps(window)) << "\n";

  if (second_panel) {
    const std::string name = regression ? "validation MSE" : "validation accuracy";
    s << "set title " << gnuplot_string(regression ? "validation MSE" : "accuracy") << "\n"
      << "set ylabel " << gnuplot_string(regression ? "MSE" : "accuracy (%)") << "\n"
      << "set key " << (regression ? "top" : "bottom") << " right\n";
    std::vector<std::string> plots;
    if (!regression) {
      plots.push_back("$metrics using 1:4 with lines lw 2 lc rgb '#e6550d' title " +
                      gnuplot_string("training (moving average, " + steps(window) + ")"));
    }
    if (validation) {
      plots.push_back(
          "$validation using 1:3:4 with filledcurves fs transparent solid 0.25 noborder "
          "lc rgb '#31a354' title " +
          gnuplot_string(name + ", 95% CI"));
      plots.push_back(
          "$validation using 1:2 with linespoints pt 7 ps 0.8 lw 1.5 lc rgb '#006d2c' title " +
          gnuplot_string(name));
    }
    s << "plot ";
    for (std::size_t i = 0; i < plots.size(); ++i) s << (i == 0 ? "" : ", \\\n     ") << plots[i];
    s << "\n";
  }
  s << "unset multiplot\nunset output\n";
  return s.str();
}

// --- running gnuplot -------------------------------------------------------------------------

fs::path find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "";
  while (!dirs.empty()) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    const fs::path candidate = fs::path(dir.empty() ? "." : std::string(dir)) / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

// Removes a file when it goes out of scope (the script; the partial PNG after a failure).
class RemoveOnExit {
 public:
  explicit RemoveOnExit(fs::path path) : path_(std::move(path)) {}
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;
  ~RemoveOnExit() {
    std::error_code ec;
    fs::remove(path_, ec);
  }

 private:
  fs::path path_;
};

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

fs::path write_script(const std::string& text) {
  std::string name = (fs::temp_directory_path() / "cezanne-plot-XXXXXX").string();
  const int fd = ::mkstemp(name.data());
  if (fd < 0) throw_errno("cannot create a temporary file " + name);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(name.c_str());
      throw std::system_error(error, std::generic_category(), "cannot write " + name);
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return name;
}

// The line of gnuplot's stderr that says what failed: its `"<script>" line <n>: <message>` (the
// first that is no warning, without the script's name), else the first line that is not blank;
// without surrounding blanks.
std::string error_line(const std::string& errors, const fs::path& script) {
  std::string prefix = "\"";
  prefix.append(script.string()).append("\" ");
  std::string first;
  std::istringstream in(errors);
  for (std::string line; std::getline(in, line);) {
    const std::size_t end = line.find_last_not_of(" \t\r");
    line.resize(end == std::string::npos ? 0 : end + 1);
    line.erase(0, std::min(line.size(), line.find_first_not_of(" \t")));
    if (line.rfind(prefix, 0) == 0 && line.find(": warning:") == std::string::npos) {
      return line.substr(prefix.size());
    }
    if (first.empty()) first = line;
  }
  return first;
}

// Runs `gnuplot script` with stdin and stdout on /dev/null; returns its stderr in `errors` and
// its wait status.
int run_gnuplot(const fs::path& gnuplot, const fs::path& script, std::string& errors) {
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) throw_errno("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  std::string program = gnuplot.string();
  std::string argument = script.string();
  std::array<char*, 3> argv = {program.data(), argument.data(), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    throw std::system_error(spawned, std::generic_category(), "cannot run " + program);
  }
  std::array<char, 4096> buffer{};
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer.data(), buffer.size());
    if (n > 0) {
      errors.append(buffer.data(), static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid");
  }
  return status;
}

}  // namespace

std::vector<StepRecord> read_metrics_csv(const fs::path& csv) {
  std::error_code ec;
  if (!fs::exists(csv, ec)) throw std::runtime_error(csv.string() + ": no such file");
  std::ifstream in(csv, std::ios::binary);
  const std::string content(std::istreambuf_iterator<char>(in), {});
  if (!in.is_open() || in.bad()) throw std::runtime_error(csv.string() + ": cannot read");

  const auto error = [&csv](int64_t line, const std::string& what) {
    return std::runtime_error(csv.string() + ": line " + std::to_string(line) + ": " + what);
  };
  std::vector<StepRecord> rows;
  std::size_t begin = 0;
  for (int64_t number = 1; number == 1 || begin < content.size(); ++number) {
    const std::size_t newline = content.find('\n', begin);
    const bool complete = newline != std::string::npos;
    std::string_view line(content.data() + begin, (complete ? newline : content.size()) - begin);
    begin = complete ? newline + 1 : content.size();
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (number == 1) {
      if (line != kMetricsHeader) {
        throw error(1, std::string("expected header '") + kMetricsHeader + "'");
      }
      continue;
    }
    try {
      rows.push_back(parse_row(line));
    } catch (const RowError& e) {
      if (complete) throw error(number, e.what);
    }
  }
  if (rows.empty()) throw std::runtime_error(csv.string() + ": no rows");
  return rows;
}

std::size_t smoothing_window(std::size_t rows) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(0.05 * rows)));
}

std::vector<double> moving_average(const std::vector<double>& values, std::size_t window) {
  if (window == 0) throw std::invalid_argument("moving_average: window must be >= 1");
  std::vector<double> out(values.size());
  double sum = 0.0;
  std::size_t count = 0;  // finite values in the window
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) {
      sum += values[i];
      ++count;
    }
    if (i >= window && std::isfinite(values[i - window])) {
      sum -= values[i - window];
      --count;
    }
    out[i] =
        count > 0 ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

namespace {

// Checks the size and the PNG's directory, runs gnuplot on `script_of(partial)` and renames the
// partial PNG to `png`: a failed plot leaves no PNG behind.
template <class ScriptOf>
void render(const fs::path& png, const PlotOptions& options, const ScriptOf& script_of) {
  if (options.width < 1 || options.height < 1) {
    throw std::invalid_argument("plot: width and height must be >= 1");
  }
  const fs::path dir = png.has_parent_path() ? png.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error(dir.string() + ": no such directory");
  const fs::path gnuplot = find_on_path("gnuplot");
  if (gnuplot.empty()) {
    throw std::runtime_error("gnuplot not found on PATH (apt-get install gnuplot-nox)");
  }

  const fs::path partial = png.string() + ".partial-" + std::to_string(::getpid());
  const RemoveOnExit remove_partial(partial);  // a no-op once renamed
  const fs::path script = write_script(script_of(partial));
  const RemoveOnExit remove_script(script);
  std::string errors;
  const int status = run_gnuplot(gnuplot, script, errors);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string line = error_line(errors, script);
    if (line.empty()) {
      line = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                               : "killed by signal " + std::to_string(WTERMSIG(status));
    }
    throw std::runtime_error("gnuplot failed: " + line);
  }
  const std::uintmax_t bytes = fs::file_size(partial, ec);
  if (ec || bytes == 0) {
    throw std::runtime_error("gnuplot failed: it wrote no image to " + partial.string());
  }
  fs::rename(partial, png);
}

std::string clean_title(std::string title) {
  std::replace_if(title.begin(), title.end(), [](unsigned char c) { return std::iscntrl(c) != 0; }, ' ');
  return title;
}

// A string field of a datablock: in double quotes (which data columns need, unlike commands),
// so names with spaces stay one column; a '"' in it becomes '\''.
std::string data_string(std::string text) {
  std::replace(text.begin(), text.end(), '"', '\'');
  return "\"" + text + "\"";
}

// Two runs' per-task accuracies as grouped bars, tasks in order of the first run's accuracy.
std::string tasks_script(const std::vector<TaskResult>& a, const std::vector<TaskResult>& b,
                         const std::string& label_a, const std::string& label_b,
                         const fs::path& output, const PlotOptions& options) {
  std::vector<size_t> order(a.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return a[x].accuracy < a[y].accuracy; });
  double mean_a = 0, mean_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    mean_a += a[i].accuracy / static_cast<double>(a.size());
    mean_b += b[i].accuracy / static_cast<double>(b.size());
  }
  std::ostringstream out;
  out << "$tasks << EOD\n";
  for (const size_t i : order)
    out << data_string(a[i].task) << " " << value(100 * a[i].accuracy) << " " << value(100 * b[i].accuracy) << "\n";
  out << "EOD\n"
      << "set terminal pngcairo size " << options.width << "," << options.height << " noenhanced font 'sans,10'\n"
      << "set output " << gnuplot_string(output.string()) << "\n"
      << "set title " << gnuplot_string(clean_title(options.title)) << " font ',13'\n"
      << "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 noborder\n"
      << "set ylabel 'test accuracy (%)'\nset yrange [0:100]\nset grid ytics\nset key top left\n"
      << "set xtics rotate by 90 right font ',7'\nset xlabel 'task (in order of the first run)'\n"
      << "plot $tasks using 2:xtic(1) title " << gnuplot_string(label_a + " (mean " + value(std::round(1000 * mean_a) / 10) + "%)")
      << ", '' using 3 title " << gnuplot_string(label_b + " (mean " + value(std::round(1000 * mean_b) / 10) + "%)") << "\n";
  return out.str();
}

// The reliability diagram: accuracy per confidence bin as bars at the bin's centre, the mean
// confidence of the bin as points, and the diagonal.
std::string reliability_script(const learn::ReliabilityBins& bins, const fs::path& output,
                               const PlotOptions& options) {
  const int n = learn::ReliabilityBins::kBins;
  std::ostringstream out;
  out << "$bins << EOD\n";
  for (int b = 0; b < n; ++b)
    if (bins.count[b] > 0)
      out << value((b + 0.5) / n) << " " << value(bins.correct[b] / bins.count[b]) << " "
          << value(bins.confidence[b] / bins.count[b]) << " " << value(bins.count[b]) << "\n";
  out << "EOD\n"
      << "set terminal pngcairo size " << options.width << "," << options.height << " noenhanced font 'sans,10'\n"
      << "set output " << gnuplot_string(output.string()) << "\n"
      << "set title " << gnuplot_string(clean_title(options.title)) << " font ',13'\n"
      << "set xrange [0:1]\nset yrange [0:1]\nset size square\nset grid\nset key top left\n"
      << "set xlabel 'confidence (15 equal-width bins)'\nset ylabel 'accuracy'\n"
      << "set style fill solid 0.6 border -1\nset boxwidth " << value(1.0 / n) << "\n"
      << "plot $bins using 1:2 with boxes title " << gnuplot_string("accuracy (ECE " + value(std::round(1e4 * bins.ece()) / 1e4) + ")")
      << ", $bins using 1:3 with points pt 7 title 'mean confidence', x with lines dt 2 lc 'black' title 'perfect calibration'\n";
  return out.str();
}

// The scaling sweep's two panels: efficiency vs ranks (a curve per algo and mode; 1 at 1 rank),
// and the per-step time's four parts vs ranks (a colour per part, a dash per algo and mode).
// `smooth unique` draws the mean of the repeats at each rank count.
std::string scaling_script(const std::vector<ScalingPoint>& points, const fs::path& output,
                           const PlotOptions& options) {
  std::vector<std::string> series;
  for (const ScalingPoint& p : points)
    if (std::find(series.begin(), series.end(), p.series) == series.end()) series.push_back(p.series);
  std::ostringstream out;
  for (size_t i = 0; i < series.size(); ++i) {
    out << "$s" << i << " << EOD\n";
    for (const ScalingPoint& p : points)
      if (p.series == series[i])
        out << p.ranks << " " << value(p.ranks == 1 && std::isnan(p.efficiency) ? 1.0 : p.efficiency) << " "
            << value(1e3 * p.sampling) << " " << value(1e3 * p.compute) << " " << value(1e3 * p.communication)
            << " " << value(1e3 * p.optimizer) << "\n";
    out << "EOD\n";
  }
  out << "set terminal pngcairo size " << options.width << "," << options.height << " noenhanced font 'sans,10'\n"
      << "set output " << gnuplot_string(output.string()) << "\n"
      << "set multiplot layout 1,2 title " << gnuplot_string(clean_title(options.title)) << " font ',13'\n"
      << "set logscale x 2\nset xlabel 'ranks'\nset grid\nset key bottom left\nset datafile missing 'NaN'\n"
      << "set ylabel 'efficiency against 1 rank'\nset yrange [0:*]\n"
      << "plot ";
  for (size_t i = 0; i < series.size(); ++i)
    out << (i == 0 ? "" : ", ") << "$s" << i << " using 1:2 smooth unique with linespoints lw 2 title "
        << gnuplot_string(series[i]);
  out << "\nset ylabel 'ms per step (slowest rank)'\nset key top left font ',8'\n"
      << "plot ";
  const std::array<const char*, 4> parts = {"sampling", "compute", "communication", "optimizer"};
  for (size_t i = 0; i < series.size(); ++i)
    for (size_t k = 0; k < parts.size(); ++k)
      out << (i + k == 0 ? "" : ", ") << "$s" << i << " using 1:" << k + 3 << " smooth unique with linespoints lc "
          << k + 1 << " dt " << i + 1 << " title " << gnuplot_string(series[i] + ": " + parts[k]);
  out << "\nunset multiplot\n";
  return out.str();
}

}  // namespace

void plot_reliability(const learn::ReliabilityBins& bins, const fs::path& png, const PlotOptions& options) {
  render(png, options, [&](const fs::path& partial) { return reliability_script(bins, partial, options); });
}

void plot_metrics(const fs::path& csv, const fs::path& png, const PlotOptions& options) {
  if (options.width < 1 || options.height < 1) {
    throw std::invalid_argument("plot_metrics: width and height must be >= 1");
  }
  const std::vector<StepRecord> rows = read_metrics_csv(csv);
  render(png, options, [&](const fs::path& partial) { return gnuplot_script(rows, partial, options); });
}

std::vector<TaskResult> read_task_results(const fs::path& json) {
  std::error_code ec;
  if (!fs::exists(json, ec)) throw std::runtime_error(json.string() + ": no such file");
  std::ifstream in(json, std::ios::binary);
  const std::string content(std::istreambuf_iterator<char>(in), {});
  const std::size_t list = content.find("\"per_task\":[");
  if (list == std::string::npos)
    throw std::runtime_error(json.string() + ": no per_task list (not what cezanne eval prints for a multitask checkpoint)");
  // The entries cezanne eval writes: {"task":"NAME","accuracy":A,"ci95":C,...}; names escape '"' and '\'.
  std::vector<TaskResult> results;
  std::size_t at = list;
  const std::string key = "{\"task\":\"";
  while ((at = content.find(key, at)) != std::string::npos) {
    at += key.size();
    TaskResult r;
    while (at < content.size() && content[at] != '"') {
      if (content[at] == '\\' && at + 1 < content.size()) ++at;
      r.task += content[at++];
    }
    auto number_after = [&](const std::string& field) {
      const std::size_t p = content.find("\"" + field + "\":", at);
      if (p == std::string::npos) throw std::runtime_error(json.string() + ": task '" + r.task + "' has no " + field);
      const char* begin = content.data() + p + field.size() + 3;
      double v = 0;
      const auto parsed = std::from_chars(begin, content.data() + content.size(), v);
      if (parsed.ec != std::errc()) throw std::runtime_error(json.string() + ": task '" + r.task + "': bad " + field);
      return v;
    };
    r.accuracy = number_after("accuracy");
    r.ci95 = number_after("ci95");
    results.push_back(std::move(r));
  }
  if (results.empty()) throw std::runtime_error(json.string() + ": the per_task list is empty");
  return results;
}

void plot_task_accuracies(const fs::path& a, const fs::path& b, const fs::path& png,
                          const PlotOptions& options) {
  const std::vector<TaskResult> first = read_task_results(a);
  std::vector<TaskResult> second = read_task_results(b);
  // The second run's tasks in the first run's order; both must have the same tasks.
  std::vector<TaskResult> matched;
  for (const TaskResult& t : first) {
    const auto it = std::find_if(second.begin(), second.end(), [&](const TaskResult& u) { return u.task == t.task; });
    if (it == second.end()) throw std::runtime_error(b.string() + ": has no task '" + t.task + "' (of " + a.string() + ")");
    matched.push_back(*it);
  }
  if (second.size() != first.size())
    throw std::runtime_error(b.string() + ": " + std::to_string(second.size()) + " tasks, " + a.string() + " has " +
                             std::to_string(first.size()));
  const std::string label_a = a.stem().string(), label_b = b.stem().string();
  render(png, options, [&](const fs::path& partial) {
    return tasks_script(first, matched, label_a, label_b, partial, options);
  });
}

}  // namespace cz::train

namespace cz::train {

std::vector<ScalingPoint> read_scaling_points(const fs::path& jsonl) {
  std::error_code ec;
  if (!fs::exists(jsonl, ec)) throw std::runtime_error(jsonl.string() + ": no such file");
  std::ifstream in(jsonl, std::ios::binary);
  std::vector<ScalingPoint> points;
  size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = jsonl.string() + ": line " + std::to_string(number) + ": ";
    auto field = [&](const std::string& name) {
      const size_t at = line.find("\"" + name + "\":");
      if (at == std::string::npos) throw std::runtime_error(where + "no field '" + name + "' (not a bench scaling line)");
      return std::string_view(line).substr(at + name.size() + 3);
    };
    auto text = [&](const std::string& name) {
      const std::string_view v = field(name);
      const size_t close = v.find('"', 1);
      if (v.empty() || v.front() != '"' || close == std::string_view::npos) throw std::runtime_error(where + "bad " + name);
      return std::string(v.substr(1, close - 1));
    };
    auto number_of = [&](const std::string& name, bool nullable) {
      const std::string_view v = field(name);
      if (nullable && v.substr(0, 4) == "null") return std::numeric_limits<double>::quiet_NaN();
      double out = 0;
      const auto parsed = std::from_chars(v.data(), v.data() + v.size(), out);
      if (parsed.ec != std::errc()) throw std::runtime_error(where + "bad " + name);
      return out;
    };
    ScalingPoint p;
    p.series = text("algo") + " " + text("mode");
    const double ranks = number_of("ranks", false);
    if (ranks < 1 || ranks != std::floor(ranks)) throw std::runtime_error(where + "bad ranks");
    p.ranks = static_cast<int>(ranks);
    p.efficiency = number_of("efficiency", true);
    p.sampling = number_of("sampling_s", false);
    p.compute = number_of("compute_s", false);
    p.communication = number_of("communication_s", false);
    p.optimizer = number_of("optimizer_s", false);
    points.push_back(std::move(p));
  }
  if (points.empty()) throw std::runtime_error(jsonl.string() + ": no lines");
  return points;
}

void plot_scaling(const fs::path& jsonl, const fs::path& png, const PlotOptions& options) {
  const std::vector<ScalingPoint> points = read_scaling_points(jsonl);
  render(png, options, [&](const fs::path& partial) { return scaling_script(points, partial, options); });
}

}  // namespace cz::train
