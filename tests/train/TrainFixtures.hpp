// Shared by the train tests: a tiny glyph store, running `cezanne` (blocking or in the
// background), and reading checkpoints back for bitwise comparisons.
#pragma once

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cezanne/train/Checkpoint.hpp"
#include "dist/Spawn.hpp"

namespace cz::train::testing {

namespace fs = std::filesystem;
using dist::test::cezanne_binary;
using dist::test::spawn;
using dist::test::SpawnResult;

/// A fresh directory under the system temp dir, removed by the destructor.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    std::string pattern = (fs::temp_directory_path() / ("cezanne-" + tag + "-XXXXXX")).string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// `cezanne ARGS...` (argv split on spaces), stdout and stderr together, with a deadline.
inline SpawnResult cezanne(const std::string& args, double deadline_s = 240.0,
                           const std::vector<std::string>& launcher = {}) {
  std::vector<std::string> argv = launcher;
  argv.push_back(cezanne_binary());
  std::stringstream in(args);
  std::string word;
  while (in >> word) argv.push_back(word);
  return spawn(argv, deadline_s);
}

/// A 12-writing-system glyph store of 28x28 images (96 classes, 6 examples each; ~0.2 s).
inline void make_store(const fs::path& dir, int size = 28) {
  const SpawnResult r = cezanne("prepare glyphs --out " + dir.string() + " --size " +
                                std::to_string(size) +
                                " --max-chars 8 --examples 6 --scripts Latin,Greek,Cyrillic,"
                                "Armenian,Georgian,Hebrew,Arabic,Devanagari,Bengali,Thai,"
                                "Ethiopic,Cherokee");
  ASSERT_EQ(r.status, 0) << r.output;
}

/// A small, fast MAML run on `store`: every state the trainer keeps is exercised.
inline std::string small_run(const fs::path& store, const fs::path& out, int64_t steps = 6,
                             int64_t checkpoint_every = 2) {
  return "train --algo maml --store " + store.string() + " --out " + out.string() +
         " --filters 8 --ways 3 --shots 1 --queries 2 --meta-batch 4 --steps " +
         std::to_string(steps) + " --checkpoint-every " + std::to_string(checkpoint_every) +
         " --val-every 3 --val-episodes 4 --lr 0.01 --threads 1";
}

/// A process running in the background in its own process group, output to a file.
struct Background {
  pid_t pid = -1;
  fs::path log;
  Background(const std::vector<std::string>& argv, fs::path log_path) : log(std::move(log_path)) {
    pid = dist::test::start_in_own_group(argv, ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
  }

  /// Exit status (128 + signal when killed by one), or -1 when still running after `seconds`.
  int wait_for(double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  std::string output() const {
    std::ifstream in(log);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  ~Background() {
    if (pid > 0) {
      kill(-pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

/// Polls `ready` every 50 ms for up to `seconds`.
template <class F>
bool eventually(F ready, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ready();
}

/// Data rows of RUN/metrics.csv.
inline int metrics_rows(const fs::path& run) {
  std::ifstream in(run / "metrics.csv");
  std::string line;
  int rows = -1;  // the header
  while (std::getline(in, line)) ++rows;
  return rows < 0 ? 0 : rows;
}

inline std::string bytes_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.raw_data()), c.numel() * dtype_size(c.dtype()));
}

/// "train --a x --b y ...": `options` in order, each "--name value" of `extra` replacing the
/// option of that name or added at the end; the names in `flags` take no value ("true").
inline std::string train_args(std::vector<std::pair<std::string, std::string>> options,
                              const std::string& extra, const std::vector<std::string>& flags = {}) {
  std::stringstream words(extra);
  for (std::string name, value; words >> name;) {
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) value = "true";
    else words >> value;
    auto it = std::find_if(options.begin(), options.end(), [&](const auto& o) { return o.first == name; });
    if (it != options.end()) it->second = value;
    else options.emplace_back(name, value);
  }
  std::string args = "train";
  for (const auto& [name, value] : options) args += " " + name + " " + value;
  return args;
}

// The largest absolute difference between two checkpoints' parameters.
inline double max_difference(const fs::path& a, const fs::path& b) {
  const Checkpoint x = read_checkpoint(a), y = read_checkpoint(b);
  double worst = 0;
  for (size_t i = 0; i < x.params.size(); ++i) {
    const std::vector<double> u = x.params[i].second.to_vector(), v = y.params[i].second.to_vector();
    for (size_t k = 0; k < u.size(); ++k) worst = std::max(worst, std::abs(u[k] - v[k]));
  }
  return worst;
}

/// Parameters, optimizer state and the objective's persistent state of two checkpoints are
/// bitwise equal.
inline void expect_same_state(const fs::path& a, const fs::path& b) {
  const Checkpoint x = read_checkpoint(a), y = read_checkpoint(b);
  EXPECT_EQ(x.step, y.step);
  ASSERT_EQ(x.params.size(), y.params.size());
  for (size_t i = 0; i < x.params.size(); ++i) {
    EXPECT_EQ(x.params[i].first, y.params[i].first);
    EXPECT_TRUE(bytes_of(x.params[i].second) == bytes_of(y.params[i].second))
        << "parameter " << x.params[i].first << " differs between " << a << " and " << b;
  }
  ASSERT_EQ(x.optimizer_state.size(), y.optimizer_state.size());
  for (size_t i = 0; i < x.optimizer_state.size(); ++i)
    EXPECT_TRUE(bytes_of(x.optimizer_state[i].second) == bytes_of(y.optimizer_state[i].second))
        << "optimizer state " << x.optimizer_state[i].first << " differs";
  EXPECT_EQ(x.optimizer_steps, y.optimizer_steps);
  ASSERT_EQ(x.state.size(), y.state.size());
  for (size_t i = 0; i < x.state.size(); ++i) {
    EXPECT_EQ(x.state[i].first, y.state[i].first);
    EXPECT_TRUE(bytes_of(x.state[i].second) == bytes_of(y.state[i].second)) << "state " << x.state[i].first << " differs";
  }
}

}  // namespace cz::train::testing
