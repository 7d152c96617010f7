// Numeric options of every subcommand are range-checked before MPI starts and before anything
// is written (issue 16, items 3 and 6a): a value beyond 32 bits does not wrap, a negative seed is
// not 2^64 - 1, a stray word or a directory given as --config is not ignored, and a bad value in
// the config file is reported even where the command line sets the same key.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string>
#include <variant>

#include "cezanne/train/TrainConfig.hpp"
#include "train/TrainFixtures.hpp"

namespace cz::train::testing {
namespace {

// Refused runs exit at once; a deadline keeps a regression (one that runs) from hanging.
constexpr double kDeadline = 60.0;

class OptionRange : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir("option-range");
    make_store(store());
  }
  static void TearDownTestSuite() { delete root_; }
  static fs::path store() { return root_->path / "store"; }
  fs::path dir(const std::string& name) const {
    return root_->path /
           (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            name);
  }

  // A one-step sinusoid run and a one-step conv4 run on the glyph store: both succeed as they
  // are, so an option that is not refused shows as a run.
  static std::string mlp_run(const fs::path& out) {
    return "train --algo maml --model mlp --inner-lr 0.01 --meta-batch 2 --steps 1 "
           "--val-episodes 2 --threads 1 --out " +
           out.string();
  }
  static std::string conv4_run(const fs::path& out) { return small_run(store(), out, 1, 1); }

  // `args` without " --<option> <value>" (an option given twice is an error of its own).
  static std::string without(std::string args, const std::string& option) {
    const std::string key = " --" + option + " ";
    if (const size_t at = args.find(key); at != std::string::npos) {
      const size_t end = args.find(' ', at + key.size());
      args.erase(at, end == std::string::npos ? std::string::npos : end - at);
    }
    return args;
  }

  // Exit status 2, exactly `message` as the one line of output, and `out` not created.
  static void expect_refused(const std::string& args, const std::string& message,
                             const fs::path& out = {}) {
    const SpawnResult r = cezanne(args, kDeadline);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.output;
    EXPECT_EQ(r.output, message + "\n") << args;
    if (!out.empty()) {
      EXPECT_FALSE(fs::exists(out)) << args;
    }
  }

  static TempDir* root_;
};
TempDir* OptionRange::root_ = nullptr;

TEST_F(OptionRange, TrainRefusesIntegersBeyond32Bits) {
  const fs::path out = dir("run");
  for (const auto& [option, range] : {std::pair<std::string, std::string>{"shots", "[1, 10000]"},
                                      {"ways", "[1, 10000]"},
                                      {"queries", "[1, 10000]"},
                                      {"meta-batch", "[1, 10000]"},
                                      {"filters", "[1, 1024]"},
                                      {"hidden", "[1, 4096]"},
                                      {"steps", "[1, 1000000000]"},
                                      {"val-episodes", "[1, 1000000]"},
                                      {"keep", "[1, 10000]"},
                                      {"threads", "[0, 1024]"}})
    expect_refused(without(conv4_run(out), option) + " --" + option + " 4294967297",
                   "cezanne train: --" + option + ": must be in " + range + ", got 4294967297",
                   out);
  // The sinusoid runs narrow --shots and --queries to int too.
  expect_refused(mlp_run(out) + " --shots 4294967297",
                 "cezanne train: --shots: must be in [1, 10000], got 4294967297", out);
  expect_refused(mlp_run(out) + " --shots 0",
                 "cezanne train: --shots: must be in [1, 10000], got 0", out);
}

TEST_F(OptionRange, TrainRefusesNegativeAndTooLargeSeeds) {
  const fs::path out = dir("run");
  expect_refused(mlp_run(out) + " --seed -1",
                 "cezanne train: --seed: must be in [0, 18446744073709551615], got -1", out);
  expect_refused(mlp_run(out) + " --seed 18446744073709551616",
                 "cezanne train: --seed: must be in [0, 18446744073709551615], got "
                 "18446744073709551616",
                 out);
  expect_refused(mlp_run(out) + " --seed +3",
                 "cezanne train: --seed: must be an integer in [0, 18446744073709551615], got '+3'",
                 out);
}

TEST_F(OptionRange, TrainRefusesNonNumbersAndNonFiniteValues) {
  const fs::path out = dir("run");
  expect_refused(mlp_run(out) + " --shots 1.5",
                 "cezanne train: --shots: must be an integer in [1, 10000], got '1.5'", out);
  expect_refused(mlp_run(out) + " --lr nan", "cezanne train: --lr: must be in (0, 1000], got nan",
                 out);
  expect_refused(mlp_run(out) + " --lr 0", "cezanne train: --lr: must be in (0, 1000], got 0", out);
  expect_refused(without(mlp_run(out), "inner-lr") + " --inner-lr 1e999",
                 "cezanne train: --inner-lr: must be in (0, 1000], got 1e999", out);
  expect_refused(mlp_run(out) + " --log-seconds -1",
                 "cezanne train: --log-seconds: must be in [0, 1000000], got -1", out);
}

TEST_F(OptionRange, TrainCapsTheExamplesOfAMetaStep) {
  const fs::path out = dir("run");
  expect_refused(without(mlp_run(out), "meta-batch") + " --meta-batch 10000 --shots 1000",
                 "cezanne train: --meta-batch: 10000 tasks of (--shots 1000 + --queries 15) are "
                 "10150000 examples per meta-step, more than 10000000",
                 out);
  expect_refused(without(without(without(conv4_run(out), "meta-batch"), "ways"), "shots") +
                     " --meta-batch 10000 --ways 100 --shots 20",
                 "cezanne train: --meta-batch: 10000 tasks of --ways 100 x (--shots 20 + --queries "
                 "2) are 22000000 examples per meta-step, more than 10000000",
                 out);
}

TEST_F(OptionRange, EvalRefusesOutOfRangeValues) {
  const std::string eval = "eval --baseline pixels --store " + store().string() + " ";
  expect_refused(eval + "--episodes 4294967297",
                 "cezanne eval: --episodes: must be in [1, 1000000], got 4294967297");
  expect_refused(eval + "--episodes 0", "cezanne eval: --episodes: must be in [1, 1000000], got 0");
  // Episodes the glyph store admits (6 examples per class), so that a seed that wrapped would run.
  expect_refused(eval + "--queries 2 --episodes 2 --seed -1",
                 "cezanne eval: --seed: must be in [0, 18446744073709551615], got -1");
  expect_refused(eval + "--ways 4294967297",
                 "cezanne eval: --ways: must be in [1, 10000], got 4294967297");
  expect_refused(eval + "--shots 4294967297",
                 "cezanne eval: --shots: must be in [1, 10000], got 4294967297");
  expect_refused(eval + "--threads -1", "cezanne eval: --threads: must be in [0, 1024], got -1");
}

// A checkpoint written before the bounds existed may record any number: eval checks the values
// it uses (it narrows them to int) and names the checkpoint.
TEST_F(OptionRange, EvalRefusesACheckpointWithAnOutOfRangeValue) {
  const fs::path run = dir("run");
  const SpawnResult r = cezanne(mlp_run(run), kDeadline);
  ASSERT_EQ(r.status, 0) << r.output;
  Checkpoint c = read_checkpoint(run / "checkpoint-00000001.h5");
  for (auto& [name, value] : c.config)
    if (name == "shots") value = "4294967297";
  const fs::path wrapped = dir("wrapped.h5");
  write_checkpoint(wrapped, c);
  expect_refused("eval --checkpoint " + wrapped.string() + " --episodes 2",
                 "cezanne eval: --checkpoint " + wrapped.string() +
                     ": --shots: must be in [1, 10000], got 4294967297");
  // The command line's --shots replaces the recorded one.
  const SpawnResult ok =
      cezanne("eval --checkpoint " + wrapped.string() + " --episodes 2 --shots 5", kDeadline);
  EXPECT_EQ(ok.status, 0) << ok.output;
}

TEST_F(OptionRange, PrepareRefusesOutOfRangeValues) {
  const fs::path out = dir("store");
  const std::string glyphs =
      "prepare glyphs --max-chars 2 --scripts Latin --out " + out.string() + " ";
  expect_refused(glyphs + "--seed -1",
                 "cezanne prepare glyphs: --seed: must be in [0, 18446744073709551615], got -1",
                 out);
  expect_refused(glyphs + "--examples 4294967297",
                 "cezanne prepare glyphs: --examples: must be in [1, 10000], got 4294967297", out);
  expect_refused(glyphs + "--size 4294967324",
                 "cezanne prepare glyphs: --size: must be in [8, 1024], got 4294967324", out);
  expect_refused(glyphs + "--val-fraction 2",
                 "cezanne prepare glyphs: --val-fraction: must be in [0, 1], got 2", out);
  const std::string idx =
      "prepare idx --images none.gz --labels none.gz --out " + out.string() + " ";
  expect_refused(idx + "--compression 4294967300",
                 "cezanne prepare idx: --compression: must be in [0, 9], got 4294967300", out);
  expect_refused(idx + "--shard-mb 0",
                 "cezanne prepare idx: --shard-mb: must be in (0, 1048576], got 0", out);
  expect_refused("prepare images --root none --out " + out.string() + " --size 4294967297",
                 "cezanne prepare images: --size: must be in [0, 4096], got 4294967297", out);
}

TEST_F(OptionRange, BenchRefusesOutOfRangeValues) {
  expect_refused("bench step --meta-batch 4294967297",
                 "cezanne bench step: --meta-batch: must be in [1, 10000], got 4294967297");
  expect_refused("bench step --seed -1",
                 "cezanne bench step: --seed: must be in [0, 18446744073709551615], got -1");
  expect_refused("bench step --image 1024 --meta-batch 100",
                 "cezanne bench step: --image: 8000 synthetic images of 1 x 1024 x 1024 are "
                 "8388608000 values per meta-step, more than 4294967296");
  expect_refused("bench sampler --seed -1",
                 "cezanne bench sampler: --seed: must be in [0, 18446744073709551615], got -1");
  expect_refused("bench sampler --cache-mb 17592186044416",
                 "cezanne bench sampler: --cache-mb: must be in [0, 1048576], got 17592186044416");
  expect_refused("bench allreduce --iters 4294967297",
                 "cezanne bench allreduce: --iters: must be in [1, 1000000], got 4294967297");
  expect_refused(
      "bench allreduce --bytes 1K..18446744073709551617G",
      "cezanne bench allreduce: --bytes: must be in [1, 16G], got 18446744073709551617G");
  expect_refused("bench allreduce --watchdog-seconds inf",
                 "cezanne bench allreduce: --watchdog-seconds: must be in [0, 1000000], got inf");
}

TEST_F(OptionRange, PlotRefusesOutOfRangeSizes) {
  expect_refused("plot " + root_->path.string() + " --width 4294967297",
                 "cezanne plot: --width: must be in [1, 10000], got 4294967297");
}

TEST_F(OptionRange, StrayPositionalWordsAreRefused) {
  const fs::path out = dir("run"), ini = dir("run.ini");
  std::ofstream(ini) << "model = mlp\nalgo = maml\ninner-lr = 0.01\nmeta-batch = 2\nsteps = 1\n"
                        "val-episodes = 2\nthreads = 1\nout = "
                     << out.string() << "\n";
  expect_refused("train --config " + ini.string() + " 200",
                 "cezanne train: unexpected argument '200'", out);
  expect_refused(mlp_run(out) + " 200", "cezanne train: unexpected argument '200'", out);
  expect_refused(
      "eval --baseline pixels --store " + store().string() + " --queries 2 --episodes 2 200",
      "cezanne eval: unexpected argument '200'");
  expect_refused("plot " + root_->path.string() + " extra",
                 "cezanne plot: unexpected argument 'extra'");
  expect_refused("info " + store().string() + " extra",
                 "cezanne info: unexpected argument 'extra'");
  // The commands that take a word still take it, and a true/false option still takes its value
  // as the next word.
  const SpawnResult info = cezanne("info --no-verify " + store().string(), kDeadline);
  EXPECT_EQ(info.status, 0) << info.output;
  const SpawnResult help =
      cezanne("train --shuffle-labels false --within-domain true --help", kDeadline);
  EXPECT_EQ(help.status, 0) << help.output;
}

TEST_F(OptionRange, ConfigThatIsADirectoryIsRefused) {
  const fs::path out = dir("run"), config = dir("config.d");
  fs::create_directories(config);
  expect_refused(mlp_run(out) + " --config " + config.string(),
                 "cezanne train: --config " + config.string() + ": is a directory, not an INI file",
                 out);
  expect_refused("eval --baseline pixels --store " + store().string() +
                     " --queries 2 --episodes 2 --config " + config.string(),
                 "cezanne eval: --config " + config.string() + ": is a directory, not an INI file");
}

TEST_F(OptionRange, BadConfigValueIsReportedEvenWhenTheCommandLineSetsTheKey) {
  const fs::path out = dir("run"), ini = dir("bad.ini");
  std::ofstream(ini) << "shots = -3\n";
  expect_refused(
      mlp_run(out) + " --config " + ini.string() + " --shots 2",
      "cezanne train: --config " + ini.string() + ": shots: must be in [1, 10000], got -3", out);
  std::ofstream(ini) << "seed = -1\n";
  expect_refused(mlp_run(out) + " --config " + ini.string() + " --seed 4",
                 "cezanne train: --config " + ini.string() +
                     ": seed: must be in [0, 18446744073709551615], got -1",
                 out);
  std::ofstream(ini) << "episodes = many\n";
  expect_refused("eval --baseline pixels --store " + store().string() +
                     " --queries 2 --episodes 2 --config " + ini.string(),
                 "cezanne eval: --config " + ini.string() +
                     ": episodes: must be an integer in [1, 1000000], got 'many'");
}

// Every integer and floating-point option of the table has bounds, and validate() (a config
// from a checkpoint or from code) says what the command line says.
TEST(OptionBounds, EveryNumericTrainOptionHasBounds) {
  for (const TrainOption& o : train_options()) {
    const bool numeric = std::holds_alternative<int64_t TrainConfig::*>(o.field) ||
                         std::holds_alternative<double TrainConfig::*>(o.field);
    EXPECT_EQ(option_bounds(o.name) != nullptr, numeric) << o.name;
  }
  const TrainConfig defaults;
  for (const TrainOption& o : train_options()) EXPECT_EQ(bounds_error(defaults, o), "") << o.name;
}

TEST(OptionBounds, ValidateNamesTheOptionAndTheRange) {
  TrainConfig c;
  c.model = "mlp";
  c.out = "unused";
  c.shots = 4294967297;
  try {
    validate(c);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--shots: must be in [1, 10000], got 4294967297");
  }
  c.shots = 1;
  c.lr = 0;
  try {
    validate(c);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--lr: must be in (0, 1000], got 0");
  }
}

}  // namespace
}  // namespace cz::train::testing
