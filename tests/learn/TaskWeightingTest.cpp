// Task weightings: names, manual weights files, worst-task weights against hand-computed sequences,
// and uncertainty weighting's values and gradients against the closed form.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "LearnFixtures.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/TaskWeighting.hpp"

namespace cz::learn {
namespace {

namespace fs = std::filesystem;
using testing::expect_invalid_argument;

/// A fresh directory under the system temp dir, removed by the destructor.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cezanne-task-weights-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path file = path / name;
    std::ofstream(file) << text;
    return file;
  }
};

const std::vector<std::string> kTasks = {"Latin", "Greek", "Cyrillic", "Hebrew"};

TEST(TaskWeighting, NamesRoundTripAndUnknownNamesAreRejected) {
  for (Weighting w : {Weighting::uniform, Weighting::manual, Weighting::worst_task, Weighting::uncertainty,
                      Weighting::pcgrad})
    EXPECT_EQ(parse_weighting(to_string(w)), w);
  EXPECT_STREQ(to_string(Weighting::worst_task), "worst_task");
  EXPECT_EQ(parse_weighting("uncertainty"), Weighting::uncertainty);
  expect_invalid_argument([] { parse_weighting("Uniform"); },
                          "--weighting: expected uniform, manual, worst_task, uncertainty or pcgrad, got 'Uniform'");
  expect_invalid_argument([] { parse_weighting(""); },
                          "--weighting: expected uniform, manual, worst_task, uncertainty or pcgrad, got ''");
}

TEST(TaskWeighting, ReadsWeightsWithCommentsBlankLinesAndDefaults) {
  const TempDir dir;
  const fs::path file = dir.write("w.txt",
                                  "# weights for the glyph tasks\n"
                                  "\n"
                                  "Hebrew 0.25   # rarely seen\n"
                                  "   \t\n"
                                  "\tLatin\t2\r\n"
                                  "Cyrillic 0\n"
                                  "#Greek 7\n");
  const std::vector<double> w = read_task_weights(file, kTasks);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0], 2.0);   // Latin
  EXPECT_EQ(w[1], 1.0);   // Greek: only in a comment, so the default
  EXPECT_EQ(w[2], 0.0);   // Cyrillic
  EXPECT_EQ(w[3], 0.25);  // Hebrew
  const std::vector<double> empty = read_task_weights(dir.write("empty.txt", ""), kTasks);
  EXPECT_EQ(empty, std::vector<double>(4, 1.0));
  // A name with spaces: the weight is the last field, the name the words before it.
  const std::vector<std::string> spaced{"Latin", "Anatolian Hieroglyphs"};
  const std::vector<double> two = read_task_weights(dir.write("spaced.txt", "Anatolian  Hieroglyphs\t3 # two words\n"), spaced);
  EXPECT_EQ(two, (std::vector<double>{1.0, 3.0}));
  const std::vector<double> sci = read_task_weights(dir.write("sci.txt", "Greek 1.5e-3\nLatin -0"), kTasks);
  EXPECT_EQ(sci[1], 1.5e-3);
  EXPECT_EQ(sci[0], 0.0);
  EXPECT_FALSE(std::signbit(sci[0]));
}

TEST(TaskWeighting, EveryBadWeightsFileIsNamedWithItsLine) {
  const TempDir dir;
  const auto expect_error = [&](const std::string& text, const std::string& message) {
    const fs::path file = dir.write("w.txt", text);
    expect_invalid_argument([&] { read_task_weights(file, kTasks); }, "--task-weights " + file.string() + message);
  };
  expect_error("Latin 1\n# x\nFoo 2\n", ":3: unknown task 'Foo'");
  expect_error("Greek 1\n\n\nLatin abc\n", ":4: weight 'abc' of task 'Latin' is not a finite number >= 0");
  expect_error("Greek -1\n", ":1: weight '-1' of task 'Greek' is not a finite number >= 0");
  expect_error("Greek nan\n", ":1: weight 'nan' of task 'Greek' is not a finite number >= 0");
  expect_error("Greek inf\n", ":1: weight 'inf' of task 'Greek' is not a finite number >= 0");
  expect_error("Greek 1e400\n", ":1: weight '1e400' of task 'Greek' is not a finite number >= 0");
  expect_error("Greek 2x\n", ":1: weight '2x' of task 'Greek' is not a finite number >= 0");
  expect_error("Greek 1\nHebrew 2\n\n#\nLatin 3\nLatin 4\n", ":6: task 'Latin' listed twice");
  expect_error("Latin 1\n  x y  z # three words\n", ":2: unknown task 'x y'");
  expect_error("Latin\n", ":1: expected 'TASK WEIGHT', got 'Latin'");
  const fs::path missing = dir.path / "missing.txt";
  expect_invalid_argument([&] { read_task_weights(missing, kTasks); },
                          "--task-weights " + missing.string() + ": cannot read: No such file or directory");
  expect_invalid_argument([&] { read_task_weights(dir.path, kTasks); },
                          "--task-weights " + dir.path.string() + ": cannot read: Is a directory");
}

TEST(WorstTask, StartsUniform) {
  const WorstTaskState s(4);
  EXPECT_EQ(s.weights, std::vector<double>(4, 0.25));
  EXPECT_EQ(s.estimates, std::vector<double>(4, 0.0));
  EXPECT_EQ(s.seen, std::vector<uint8_t>(4, 0));
  EXPECT_TRUE(WorstTaskState().weights.empty());
}

TEST(WorstTask, TwoStepsByHand) {
  // eta 0.5, decay 0.5, q = (1/2, 1/2).
  WorstTaskState s(2);
  // Step 1: task 0 sees 1 and 2 (mean 1.5), task 1 sees 3; first observations set the estimates.
  // q ~ (e^{0.5*1.5}, e^{0.5*3}) = (e^0.75, e^1.5): q0 = 1 / (1 + e^0.75).
  update_worst_task(s, {0, 1, 0}, {1.0, 3.0, 2.0}, 0.5, 0.5);
  EXPECT_EQ(s.estimates, (std::vector<double>{1.5, 3.0}));
  EXPECT_EQ(s.seen, (std::vector<uint8_t>{1, 1}));
  EXPECT_NEAR(s.weights[0], 0.3208213008246071, 1e-15);
  EXPECT_NEAR(s.weights[1], 0.679178699175393, 1e-15);
  // Step 2: only task 1, loss 1: estimate 3 + 0.5 * (1 - 3) = 2; task 0 keeps 1.5 and still counts.
  // q ~ (e^0.75 e^0.75, e^1.5 e^1) = (e^1.5, e^2.5): q0 = 1 / (1 + e).
  update_worst_task(s, {1}, {1.0}, 0.5, 0.5);
  EXPECT_EQ(s.estimates, (std::vector<double>{1.5, 2.0}));
  EXPECT_NEAR(s.weights[0], 0.2689414213699951, 1e-15);
  EXPECT_NEAR(s.weights[1], 0.7310585786300049, 1e-15);
}

TEST(WorstTask, ThreeStepsByHandWithATaskUnseenUntilTheLast) {
  // eta 1, decay 0.25, q = (1/3, 1/3, 1/3).
  WorstTaskState s(3);
  // Step 1: task 2 sees 0.5. Unseen tasks 0 and 1 get factor 1: q ~ (1, 1, e^0.5).
  update_worst_task(s, {2}, {0.5}, 1.0, 0.25);
  EXPECT_EQ(s.seen, (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_NEAR(s.weights[0], 0.27406861906119695, 1e-15);
  EXPECT_NEAR(s.weights[1], 0.27406861906119695, 1e-15);
  EXPECT_NEAR(s.weights[2], 0.45186276187760605, 1e-15);
  // Step 2: task 0 sees 2 and 4 (first: estimate 3); task 2 sees 1.5: 0.5 + 0.25 * (1.5 - 0.5) = 0.75.
  // q ~ (e^3, 1, e^0.5 e^0.75) = (e^3, 1, e^1.25).
  update_worst_task(s, {0, 2, 0}, {2.0, 1.5, 4.0}, 1.0, 0.25);
  EXPECT_EQ(s.estimates, (std::vector<double>{3.0, 0.0, 0.75}));
  EXPECT_EQ(s.seen, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_NEAR(s.weights[0], 0.8172865842741429, 1e-15);
  EXPECT_NEAR(s.weights[1], 0.040690303047394745, 1e-15);
  EXPECT_NEAR(s.weights[2], 0.14202311267846235, 1e-15);
  // Step 3: task 1 sees 1 (first: estimate 1). q ~ (e^3 e^3, e^1, e^1.25 e^0.75) = (e^6, e, e^2).
  update_worst_task(s, {1}, {1.0}, 1.0, 0.25);
  EXPECT_EQ(s.estimates, (std::vector<double>{3.0, 1.0, 0.75}));
  EXPECT_NEAR(s.weights[0], 0.9755587549443864, 1e-15);
  EXPECT_NEAR(s.weights[1], 0.0065732631853090825, 1e-15);
  EXPECT_NEAR(s.weights[2], 0.017867981870304504, 1e-15);
  EXPECT_NEAR(s.weights[0] + s.weights[1] + s.weights[2], 1.0, 1e-15);
}

TEST(WorstTask, WeightMovesToTheTaskWithTheHighestLoss) {
  WorstTaskState s(3);
  double last = s.weights[1];
  for (int step = 0; step < 40; ++step) {
    update_worst_task(s, {0, 1, 2, 1}, {1.0, 2.5, 2.0, 3.5}, 0.1, 0.5);
    EXPECT_GT(s.weights[1], last) << step;
    last = s.weights[1];
  }
  EXPECT_GT(s.weights[1], 0.98);
  EXPECT_GT(s.weights[2], s.weights[0]);
  // Large losses do not overflow: each step multiplies by e^{eta * 1000} unshifted.
  WorstTaskState big(2);
  for (int step = 0; step < 3; ++step) update_worst_task(big, {0, 1}, {1000.0, 1001.0}, 1.0, 1.0);
  EXPECT_NEAR(big.weights[0], 1.0 / (1.0 + std::exp(3.0)), 1e-15);
  EXPECT_NEAR(big.weights[1], 1.0 / (1.0 + std::exp(-3.0)), 1e-15);
}

TEST(WorstTask, UnseenTasksKeepTheirWeightUntilSeen) {
  // With no observations and no estimates nothing moves; zero losses keep the weights too.
  WorstTaskState s(3);
  update_worst_task(s, {}, {}, 1.0, 0.5);
  EXPECT_EQ(s.weights, std::vector<double>(3, 1.0 / 3.0));
  update_worst_task(s, {0}, {0.0}, 1.0, 0.5);
  EXPECT_EQ(s.weights, std::vector<double>(3, 1.0 / 3.0));
  // Task 0 at 2, task 2 at 1 for two steps: task 1, unseen, is multiplied by 1 every step (estimate 0).
  for (int step = 0; step < 2; ++step) update_worst_task(s, {0, 2}, {2.0, 1.0}, 1.0, 1.0);
  const double z = std::exp(4.0) + 1.0 + std::exp(2.0);
  EXPECT_NEAR(s.weights[0], std::exp(4.0) / z, 1e-15);
  EXPECT_NEAR(s.weights[1], 1.0 / z, 1e-15);
  EXPECT_NEAR(s.weights[2], std::exp(2.0) / z, 1e-15);
  EXPECT_EQ(s.seen[1], 0);
}

TEST(WorstTask, RejectsBadArguments) {
  WorstTaskState s(2);
  expect_invalid_argument([&] { update_worst_task(s, {0, 2}, {1.0, 1.0}, 1.0, 0.5); },
                          "update_worst_task: task 2 of row 1 is out of range [0, 2)");
  expect_invalid_argument([&] { update_worst_task(s, {-1}, {1.0}, 1.0, 0.5); },
                          "update_worst_task: task -1 of row 0 is out of range [0, 2)");
  expect_invalid_argument([&] { update_worst_task(s, {0, 1}, {1.0}, 1.0, 0.5); },
                          "update_worst_task: 2 tasks but 1 losses");
  expect_invalid_argument([&] { update_worst_task(s, {1}, {NAN}, 1.0, 0.5); },
                          "update_worst_task: loss of row 0 (task 1) is not finite");
  expect_invalid_argument([&] { update_worst_task(s, {0}, {1.0}, 0.0, 0.5); },
                          "update_worst_task: eta must be finite and > 0, got 0");
  expect_invalid_argument([&] { update_worst_task(s, {0}, {1.0}, 1.0, 0.0); },
                          "update_worst_task: decay must be in (0, 1], got 0");
  expect_invalid_argument([&] { update_worst_task(s, {0}, {1.0}, 1.0, 1.5); },
                          "update_worst_task: decay must be in (0, 1], got 1.5");
  // A rejected update leaves the state untouched.
  EXPECT_EQ(s.weights, std::vector<double>(2, 0.5));
  EXPECT_EQ(s.seen, std::vector<uint8_t>(2, 0));
  WorstTaskState torn(2);
  torn.estimates.pop_back();
  expect_invalid_argument([&] { update_worst_task(torn, {0}, {1.0}, 1.0, 0.5); },
                          "update_worst_task: state has 2 weights, 1 estimates and 2 seen flags");
  expect_invalid_argument([] { WorstTaskState(-1); }, "WorstTaskState: num_tasks must be >= 0, got -1");
}

TEST(Uncertainty, ValuesAndGradientsMatchTheClosedForm) {
  // 5 rows over 4 tasks: task 0 repeated, task 3 absent.
  const std::vector<double> l = {0.7, 1.9, 0.2, 2.5, 1.1};
  const std::vector<int64_t> t = {0, 2, 0, 1, 0};
  const std::vector<double> s = {-0.3, 0.8, 0.1, 1.7};
  const std::vector<double> w = {1.0, -2.0, 0.5, 3.0, 1.5};  // grad_outputs, so rows are told apart
  const Var losses(Tensor::from(l, {5}, DType::f64), true);
  const Var log_variances(Tensor::from(s, {4}, DType::f64), true);
  const Var out = uncertainty_weighted(losses, log_variances, Tensor::from_i64(t, {5}));
  ASSERT_EQ(out.shape(), (Shape{5}));
  ASSERT_EQ(out.dtype(), DType::f64);
  const std::vector<double> value = out.data().to_vector();
  std::vector<double> dl(5), ds(4, 0.0), dds(4, 0.0);
  for (size_t r = 0; r < 5; ++r) {
    const double e = std::exp(-s[t[r]]);
    EXPECT_NEAR(value[r], e * l[r] + s[t[r]] / 2, 1e-15) << r;
    dl[r] = w[r] * e;
    ds[t[r]] += w[r] * (-e * l[r] + 0.5);
    dds[t[r]] += w[r] * e * l[r];  // d/ds of ds
  }
  GradOptions second_order;
  second_order.create_graph = true;
  const std::vector<Var> g =
      grad({out}, {losses, log_variances}, {Var(Tensor::from(w, {5}, DType::f64))}, second_order);
  const std::vector<double> gl = g[0].data().to_vector(), gs = g[1].data().to_vector();
  for (size_t r = 0; r < 5; ++r) EXPECT_NEAR(gl[r], dl[r], 1e-14) << r;
  for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(gs[k], ds[k], 1e-14) << k;
  EXPECT_EQ(gs[3], 0.0);
  // Grad of grad: d(sum ds)/ds = sum over rows of w e^{-s} L, per task.
  const std::vector<Var> gg = grad({sum(g[1])}, {log_variances});
  const std::vector<double> ggs = gg[0].data().to_vector();
  for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(ggs[k], dds[k], 1e-14) << k;
}

TEST(Uncertainty, RejectsBadShapesAndTasks) {
  const Var losses(Tensor::from({1.0, 2.0}, {2}, DType::f64));
  const Var s(Tensor::zeros({3}, DType::f64));
  expect_invalid_argument([&] { uncertainty_weighted(losses, s, Tensor::from_i64({0, 3}, {2})); },
                          "uncertainty_weighted: task 3 is out of range [0, 3)");
  expect_invalid_argument([&] { uncertainty_weighted(losses, s, Tensor::from_i64({0}, {1})); },
                          "uncertainty_weighted: tasks must be i64 [2], got i64 [1]");
  expect_invalid_argument([&] { uncertainty_weighted(losses, s, Tensor::from({0, 1}, {2}, DType::f64)); },
                          "uncertainty_weighted: tasks must be i64 [2], got f64 [2]");
  expect_invalid_argument(
      [&] { uncertainty_weighted(Var(Tensor::zeros({2, 1}, DType::f64)), s, Tensor::from_i64({0, 1}, {2})); },
      "uncertainty_weighted: losses must be [T], got [2, 1]");
  expect_invalid_argument(
      [&] { uncertainty_weighted(losses, Var(Tensor::zeros({3, 1}, DType::f64)), Tensor::from_i64({0, 1}, {2})); },
      "uncertainty_weighted: log_variances must be [num_tasks], got [3, 1]");
}

}  // namespace
}  // namespace cz::learn
