// metrics.csv parsing, the moving average, plot_metrics with gnuplot (real, missing and failing)
// and `cezanne plot` as a user runs it.
#include "cezanne/train/Plot.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace cz::train;

namespace {

const std::string kHeader = "step,loss,train_accuracy,val_accuracy,val_ci95,tasks_per_s,seconds\n";

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool gnuplot_on_path() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

// Sets PATH for the life of the object.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& path) : old_(get(std::getenv("PATH"))) {
    ::setenv("PATH", path.c_str(), 1);
  }
  ScopedPath(const ScopedPath&) = delete;
  ScopedPath& operator=(const ScopedPath&) = delete;
  ~ScopedPath() {
    if (old_) {
      ::setenv("PATH", old_->c_str(), 1);
    } else {
      ::unsetenv("PATH");
    }
  }

 private:
  static std::optional<std::string> get(const char* value) {
    return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
  }
  std::optional<std::string> old_;
};

// Width and height from a PNG's IHDR, after checking the signature; {-1, -1} when not a PNG.
std::array<int64_t, 2> png_size(const fs::path& file) {
  const std::string bytes = slurp(file);
  const std::string signature = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 24 || bytes.compare(0, 8, signature) != 0 ||
      bytes.compare(12, 4, "IHDR") != 0) {
    return {-1, -1};
  }
  auto be32 = [&bytes](std::size_t at) {
    int64_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

class PlotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ =
        fs::temp_directory_path() / ("cz-plot-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    csv_ = root_ / "metrics.csv";
  }
  void TearDown() override { fs::remove_all(root_); }

  void write_csv(const std::string& text) const { std::ofstream(csv_, std::ios::binary) << text; }

  // `steps` rows of a classification run (regression: no train accuracy, validation MSE),
  // validation every 20 steps.
  void write_run(int steps, bool regression) const {
    std::string text = kHeader;
    for (int s = 1; s <= steps; ++s) {
      const double loss = 1.6 * std::exp(-s / 60.0) + 0.05 * std::sin(s);
      text += std::to_string(s) + "," + std::to_string(loss) + ",";
      if (!regression) text += std::to_string(0.2 + 0.6 * (1 - std::exp(-s / 50.0)));
      text += ",";
      if (s % 20 == 0) {
        const double v = regression ? loss * 0.9 : 0.2 + 0.55 * (1 - std::exp(-s / 50.0));
        text += std::to_string(v) + "," + std::to_string(regression ? 0.02 : 0.015);
      } else {
        text += ",";
      }
      text += ",4.0," + std::to_string(2.0 * s) + "\n";
    }
    write_csv(text);
  }

  // A fake `gnuplot` in root_/bin (a shell script body) and a PATH that finds it first.
  std::string fake_gnuplot(const std::string& body) const {
    const fs::path bin = root_ / "bin";
    fs::create_directories(bin);
    std::ofstream(bin / "gnuplot") << "#!/bin/sh\n" << body;
    fs::permissions(bin / "gnuplot", fs::perms::owner_all);
    return bin.string() + ":/usr/bin:/bin";
  }

  // Where the script passed to gnuplot tells it to write.
  static constexpr const char* kOutputOf =
      "out=$(sed -n \"s/^set output '\\(.*\\)'$/\\1/p\" \"$1\")\n";

  // Messages std::runtime_error carries (empty when nothing is thrown).
  template <class F>
  static std::string error_of(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }

  std::string read_error(const std::string& text) const {
    write_csv(text);
    return error_of([this] { read_metrics_csv(csv_); });
  }

  std::set<std::string> files() const {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(root_)) {
      names.insert(entry.path().filename().string());
    }
    return names;
  }

  fs::path root_, csv_;
};

TEST_F(PlotTest, ReadsValuesAndEmptyFields) {
  write_csv(kHeader +
            "1,1.6094,0.2133,,,3.91,2.05\n"
            "50,0.4210,0.8400,0.8123,0.0151,4.02,101.3\r\n"
            "51,nan,,0.25,1e-3,4,103\n");
  const std::vector<StepRecord> rows = read_metrics_csv(csv_);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].step, 1);
  EXPECT_DOUBLE_EQ(rows[0].loss, 1.6094);
  EXPECT_DOUBLE_EQ(rows[0].train_accuracy.value(), 0.2133);
  EXPECT_FALSE(rows[0].val_accuracy.has_value());
  EXPECT_FALSE(rows[0].val_ci95.has_value());
  EXPECT_DOUBLE_EQ(rows[0].tasks_per_s, 3.91);
  EXPECT_DOUBLE_EQ(rows[0].seconds, 2.05);
  EXPECT_EQ(rows[1].step, 50);
  EXPECT_DOUBLE_EQ(rows[1].val_accuracy.value(), 0.8123);
  EXPECT_DOUBLE_EQ(rows[1].val_ci95.value(), 0.0151);
  EXPECT_DOUBLE_EQ(rows[1].seconds, 101.3);
  EXPECT_TRUE(std::isnan(rows[2].loss));
  EXPECT_FALSE(rows[2].train_accuracy.has_value());
  EXPECT_DOUBLE_EQ(rows[2].val_ci95.value(), 0.001);
}

TEST_F(PlotTest, AnUnfinishedLastLineIsSkippedOrRead) {
  write_csv(kHeader + "1,1.5,0.2,,,4,2\n2,1.4,0.");  // still being written
  EXPECT_EQ(read_metrics_csv(csv_).size(), 1u);
  write_csv(kHeader + "1,1.5,0.2,,,4,2\n2,1.4,0.3,,,4,4");  // complete, newline missing
  EXPECT_EQ(read_metrics_csv(csv_).size(), 2u);
}

TEST_F(PlotTest, ErrorsNameTheFileAndLine) {
  const std::string p = csv_.string();
  const std::string expected_header =
      p +
      ": line 1: expected header "
      "'step,loss,train_accuracy,val_accuracy,val_ci95,tasks_per_s,seconds'";
  EXPECT_EQ(error_of([this] { read_metrics_csv(root_ / "none.csv"); }),
            (root_ / "none.csv").string() + ": no such file");
  EXPECT_EQ(read_error(""), expected_header);
  EXPECT_EQ(read_error("step,loss\n1,2\n"), expected_header);
  EXPECT_EQ(read_error(kHeader), p + ": no rows");
  EXPECT_EQ(read_error(kHeader + "1,1,1,,,1,1\n2,1,1,,,1\n"),
            p + ": line 3: expected 7 fields, got 6");
  EXPECT_EQ(read_error(kHeader + "1,abc,1,,,1,1\n"), p + ": line 2: loss: 'abc' is not a number");
  EXPECT_EQ(read_error(kHeader + "1,,1,,,1,1\n"), p + ": line 2: loss is empty");
  EXPECT_EQ(read_error(kHeader + "1,1,1,,,1,\n"), p + ": line 2: seconds is empty");
  EXPECT_EQ(read_error(kHeader + "1,1,1x,,,1,1\n"),
            p + ": line 2: train_accuracy: '1x' is not a number");
  EXPECT_EQ(read_error(kHeader + "0,1,1,,,1,1\n"),
            p + ": line 2: step: '0' is not an integer >= 1");
  EXPECT_EQ(read_error(kHeader + "1.5,1,1,,,1,1\n"),
            p + ": line 2: step: '1.5' is not an integer >= 1");
  EXPECT_EQ(read_error(kHeader + "1,1,1,0.5,,1,1\n"),
            p + ": line 2: val_accuracy and val_ci95 must both be set or both be empty");
  EXPECT_EQ(read_error(kHeader + "\n1,1,1,,,1,1\n"), p + ": line 2: expected 7 fields, got 1");
}

TEST(PlotSmoothing, WindowIsFivePercentAtLeastOne) {
  EXPECT_EQ(smoothing_window(0), 1u);
  EXPECT_EQ(smoothing_window(1), 1u);
  EXPECT_EQ(smoothing_window(29), 1u);
  EXPECT_EQ(smoothing_window(30), 2u);
  EXPECT_EQ(smoothing_window(100), 5u);
  EXPECT_EQ(smoothing_window(1000), 50u);
}

TEST(PlotSmoothing, TrailingMeanOfTheFiniteValues) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> plain = moving_average({1, 2, 3, 4}, 2);
  EXPECT_EQ(plain, (std::vector<double>{1, 1.5, 2.5, 3.5}));
  EXPECT_EQ(moving_average({1, 2, 3}, 1), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(moving_average({2, 4, 6}, 10), (std::vector<double>{2, 3, 4}));
  const std::vector<double> gaps = moving_average({1, nan, 3, nan, nan, 8}, 2);
  ASSERT_EQ(gaps.size(), 6u);
  EXPECT_EQ(gaps[0], 1);
  EXPECT_EQ(gaps[1], 1);
  EXPECT_EQ(gaps[2], 3);
  EXPECT_EQ(gaps[3], 3);
  EXPECT_TRUE(std::isnan(gaps[4]));
  EXPECT_EQ(gaps[5], 8);
  EXPECT_TRUE(moving_average({}, 3).empty());
  EXPECT_THROW(moving_average({1}, 0), std::invalid_argument);
}

TEST_F(PlotTest, DrawsAPngOfTheAskedSize) {
  if (!gnuplot_on_path()) GTEST_SKIP() << "gnuplot is not on PATH";
  write_run(200, false);
  const fs::path png = root_ / "curves.png";
  plot_metrics(csv_, png, {.title = "it's run_1 \"5-way\"", .width = 640, .height = 480});
  EXPECT_EQ(png_size(png), (std::array<int64_t, 2>{640, 480}));
  EXPECT_EQ(files(), (std::set<std::string>{"curves.png", "metrics.csv"}));  // no partial left
}

TEST_F(PlotTest, DrawsRegressionRunsAndOddRuns) {
  if (!gnuplot_on_path()) GTEST_SKIP() << "gnuplot is not on PATH";
  const fs::path png = root_ / "out.png";
  write_run(60, true);  // validation MSE below the loss
  plot_metrics(csv_, png, {.title = "sinusoid", .width = 300, .height = 200});
  EXPECT_EQ(png_size(png), (std::array<int64_t, 2>{300, 200}));
  write_csv(kHeader + "1,2.5,,,,4,2\n");  // one row, regression, no validation: one panel
  plot_metrics(csv_, png, {.title = "one", .width = 200, .height = 150});
  EXPECT_EQ(png_size(png), (std::array<int64_t, 2>{200, 150}));
  write_csv(kHeader +
            "1,1.5,0.2,,,4,2\n2,nan,0.2,0.3,0.01,4,4\n3,inf,0.3,,,4,6\n4,1.2,0.4,,,4,8\n");
  plot_metrics(csv_, png, {.title = "diverged", .width = 200, .height = 150});
  EXPECT_EQ(png_size(png), (std::array<int64_t, 2>{200, 150}));
}

TEST_F(PlotTest, ScriptQuotesTheTitleAndMarksMissingValues) {
  // A gnuplot that keeps its script and writes a stand-in image.
  const ScopedPath path(fake_gnuplot(std::string(kOutputOf) + "cp \"$1\" \"$out.gp\"\n" +
                                     "printf 'image' > \"$out\"\n"));
  const fs::path png = root_ / "curves.png";
  const std::string script = png.string() + ".partial-" + std::to_string(::getpid()) + ".gp";
  write_csv(kHeader + "1,1.5,0.25,,,4,2\n2,nan,0.5,0.5,0.125,4,4\n");
  std::string title = "it's run_1 \"5-way\"\n";
  plot_metrics(csv_, png, {.title = title, .width = 640, .height = 480});
  EXPECT_EQ(slurp(png), "image");
  const std::string text = slurp(script);
  for (const char* line :
       {"  set terminal pngcairo size 640,480 noenhanced font 'sans,10'\n",
        "set multiplot layout 2,1 title 'it''s run_1 \"5-way\" ' font ',13'\n",
        "$metrics << EOD\n1 1.5 1.5 25\n2 NaN NaN 50\nEOD\n",
        "$validation << EOD\n2 50 37.5 62.5\nEOD\n", "set xrange [1:2]\n",
        "set ylabel 'accuracy (%)'\n", "title 'training (moving average, 1 step)'"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nnot in\n" << text;
  }

  write_csv(kHeader + "3,2.5,,,,4,2\n");  // regression without validation: the loss alone
  plot_metrics(csv_, png, {.title = "r", .width = 640, .height = 480});
  EXPECT_NE(slurp(script).find("set multiplot layout 1,1 title 'r'"), std::string::npos);
  EXPECT_EQ(slurp(script).find("xrange"), std::string::npos);
  EXPECT_EQ(slurp(script).find("set ylabel 'MSE'"), std::string::npos);

  write_csv(kHeader + "3,2.5,,0.75,0.25,4,2\n");  // regression: the validation MSE as it is
  plot_metrics(csv_, png, {.title = "r", .width = 640, .height = 480});
  EXPECT_NE(slurp(script).find("set ylabel 'MSE'"), std::string::npos);
  EXPECT_NE(slurp(script).find("$validation << EOD\n3 0.75 0.5 1\nEOD\n"), std::string::npos);
  EXPECT_EQ(slurp(script).find("'training ("), std::string::npos);
}

TEST_F(PlotTest, GnuplotMissingFromPath) {
  write_run(10, false);
  const ScopedPath path((root_ / "empty").string());
  EXPECT_EQ(error_of([this] { plot_metrics(csv_, root_ / "curves.png", {.title = "t"}); }),
            "gnuplot not found on PATH (apt-get install gnuplot-nox)");
}

TEST_F(PlotTest, GnuplotFailingLeavesTheOldPngAndNoPartial) {
  write_run(10, false);
  const fs::path png = root_ / "curves.png";
  std::ofstream(png) << "the previous plot";
  // Writes half an image where it was told to, then fails as gnuplot does.
  const ScopedPath path(fake_gnuplot(std::string(kOutputOf) +
                                     "printf 'half' > \"$out\" && cp \"$out\" \"$out.seen\"\n"
                                     "echo '         line 0: warning: iffy' >&2\n"
                                     "echo 'plot $metrics using 1:2' >&2\n"
                                     "echo \"\\\"$1\\\" line 7: warning: Skipping data file\" >&2\n"
                                     "echo \"\\\"$1\\\" line 9: undefined variable: foo\" >&2\n"
                                     "exit 1\n"));
  EXPECT_EQ(error_of([&] { plot_metrics(csv_, png, {.title = "t"}); }),
            "gnuplot failed: line 9: undefined variable: foo");
  EXPECT_EQ(slurp(png), "the previous plot");
  const std::string seen = "curves.png.partial-" + std::to_string(::getpid()) + ".seen";
  EXPECT_EQ(files(), (std::set<std::string>{"bin", "curves.png", "metrics.csv", seen}));
}

TEST_F(PlotTest, GnuplotFailureWithoutItsErrorLine) {
  write_run(10, false);
  const fs::path png = root_ / "curves.png";
  {
    const ScopedPath path(
        fake_gnuplot("printf '\\n   \\n  cannot open display  \\nmore\\n' >&2\n"
                     "exit 3\n"));
    EXPECT_EQ(error_of([&] { plot_metrics(csv_, png, {.title = "t"}); }),
              "gnuplot failed: cannot open display");
  }
  {
    const ScopedPath path(fake_gnuplot("exit 3\n"));
    EXPECT_EQ(error_of([&] { plot_metrics(csv_, png, {.title = "t"}); }),
              "gnuplot failed: exit status 3");
  }
  {
    const ScopedPath path(fake_gnuplot("kill -9 $$\n"));
    EXPECT_EQ(error_of([&] { plot_metrics(csv_, png, {.title = "t"}); }),
              "gnuplot failed: killed by signal 9");
  }
  {
    const ScopedPath path(fake_gnuplot("exit 0\n"));
    EXPECT_EQ(error_of([&] { plot_metrics(csv_, png, {.title = "t"}); }),
              "gnuplot failed: it wrote no image to " + png.string() + ".partial-" +
                  std::to_string(::getpid()));
  }
  EXPECT_FALSE(fs::exists(png));
}

TEST_F(PlotTest, BadOutputDirectoryOrSize) {
  write_run(10, false);
  const fs::path dir = root_ / "no" / "such";
  EXPECT_EQ(error_of([&] { plot_metrics(csv_, dir / "c.png", {.title = "t"}); }),
            dir.string() + ": no such directory");
  EXPECT_THROW(plot_metrics(csv_, root_ / "c.png", {.title = "t", .width = 0}),
               std::invalid_argument);
}

// --- `cezanne plot` ---------------------------------------------------------------------------

struct Result {
  int status;
  std::string out, err;
};

std::string binary() {
  const char* env = std::getenv("CEZANNE_BINARY");
  return env != nullptr && *env != '\0' ? env : CEZANNE_TEST_BINARY;
}

class PlotCliTest : public PlotTest {
 protected:
  /// Runs `[env] cezanne ARGS` through the shell (ARGS already quoted), stdout and stderr apart.
  Result cezanne(const std::string& args, const std::string& env = "") const {
    const fs::path out = root_ / "stdout.txt", err = root_ / "stderr.txt";
    const std::string command =
        env + " '" + binary() + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
    const int raw = std::system(command.c_str());
    Result result{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
    fs::remove(out);
    fs::remove(err);
    return result;
  }
  std::string quoted(const fs::path& p) const { return "'" + p.string() + "'"; }
};

TEST_F(PlotCliTest, WritesCurvesPngAndPrintsItsPath) {
  if (!gnuplot_on_path()) GTEST_SKIP() << "gnuplot is not on PATH";
  write_run(100, false);
  Result r = cezanne("plot " + quoted(root_));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, (root_ / "curves.png").string() + "\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(png_size(root_ / "curves.png"), (std::array<int64_t, 2>{1000, 800}));

  const fs::path out = root_ / "small.png";
  r = cezanne("plot " + quoted(root_) + " --out " + quoted(out) +
              " --title 'my run' --width 320 --height 240");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, out.string() + "\n");
  EXPECT_EQ(png_size(out), (std::array<int64_t, 2>{320, 240}));
}

TEST_F(PlotCliTest, ErrorsAreOneLineWithTheirExitStatus) {
  const fs::path missing = root_ / "none";
  Result r = cezanne("plot " + quoted(missing));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "cezanne plot: " + (missing / "metrics.csv").string() + ": no such file\n");

  r = cezanne("plot");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "cezanne plot: the run directory RUN_DIR is required (or --tasks A.json B.json, or --scaling FILE.jsonl)\n");

  // Per-task accuracies of two multitask runs: two files of `cezanne eval` lines and --out.
  const fs::path a = root_ / "a.json", b = root_ / "b.json";
  std::ofstream(a) << R"({"eval":"x","per_task":[{"task":"Latin","accuracy":0.5,"ci95":0.1,"examples":20}]})" << "\n";
  std::ofstream(b) << R"({"eval":"y","mean":0.5})" << "\n";
  r = cezanne("plot --tasks " + quoted(a) + " --out " + quoted(root_ / "t.png"));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "cezanne plot: --tasks: two files, got 1\n");
  r = cezanne("plot --tasks " + quoted(a) + " " + quoted(a));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "cezanne plot: --out: required with --tasks (the PNG to write)\n");
  r = cezanne("plot --tasks " + quoted(a) + " " + quoted(b) + " --out " + quoted(root_ / "t.png"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "cezanne plot: error: " + b.string() +
                       ": no per_task list (not what cezanne eval prints for a multitask checkpoint)\n");
  EXPECT_FALSE(fs::exists(root_ / "t.png"));

  write_csv("step,loss\n");
  r = cezanne("plot " + quoted(root_));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "cezanne plot: error: " + csv_.string() +
                       ": line 1: expected header "
                       "'step,loss,train_accuracy,val_accuracy,val_ci95,tasks_per_s,seconds'\n");

  write_run(10, false);
  r = cezanne("plot " + quoted(root_) + " --width 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "cezanne plot: --width: must be in [1, 10000], got 0\n");

  r = cezanne("plot " + quoted(root_), "PATH=" + quoted(root_ / "empty"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "cezanne plot: error: gnuplot not found on PATH (apt-get install gnuplot-nox)\n");
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(root_ / "curves.png"));
}

TEST_F(PlotCliTest, HelpListsTheOptions) {
  const Result r = cezanne("plot --help");
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* option : {"--out", "--title", "--width", "--height"}) {
    EXPECT_NE(r.out.find(option), std::string::npos) << r.out;
  }
}

}  // namespace
