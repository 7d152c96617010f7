// `cezanne bench sampler`: episodes per second of the episode sampler, cold and warm cache.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "Command.hpp"
#include "cezanne/data/EpisodeSampler.hpp"
#include "cezanne/data/Prefetcher.hpp"
#include "cezanne/data/Store.hpp"
#include "cezanne/data/SyntheticStore.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace cz::cli {
namespace {

// An Omniglot-sized stand-in when no store is given: 1600 classes of 20 images 28x28x1 in 50
// domains, split by class (prepare synthetic).
fs::path write_synthetic_store(const fs::path& dir) {
  data::SyntheticStoreOptions options;
  options.classes = 1600;
  options.examples = 20;
  options.size = 28;
  options.domains = 50;
  data::prepare_synthetic(dir, options, {"synthetic", "cezanne bench sampler", "", ""});
  return dir;
}

// Resident memory of this process now (VmRSS), in MiB.
double resident_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // "VmRSS:  1234 kB"
  return 0.0;
}

// A JSON string literal of `s` (paths may hold quotes or backslashes).
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", ch);
      out += buffer;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

struct Pass {
  double seconds = 0;
  double cpu_seconds = 0;  // process CPU time (all threads): tells contention from slowness
  int64_t episodes = 0;
};

// Samples `steps` steps of `tasks` tasks from `first_step` on, directly (threads == 0) or
// through a Prefetcher with `threads` workers.
Pass run_pass(const std::shared_ptr<const data::EpisodeSampler>& sampler,
              const std::vector<int64_t>& tasks, int64_t first_step, int64_t steps, int threads) {
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  int64_t episodes = 0;
  if (threads == 0) {
    for (int64_t s = 0; s < steps; ++s)
      episodes +=
          static_cast<int64_t>(sampler->sample_batch(first_step + s, tasks).task_indices.size());
  } else {
    data::Prefetcher prefetcher(sampler, tasks, first_step, /*depth=*/2 * threads, threads);
    for (int64_t s = 0; s < steps; ++s)
      episodes += static_cast<int64_t>(prefetcher.next().task_indices.size());
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return {elapsed.count(), static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC,
          episodes};
}

// Bounds of the options shared with train (train::option_bounds) and of its own: 1e9 episodes
// per pass, a cache of 1 TiB (MiB << 20 stays far below 2^63).
constexpr int64_t kMaxEpisodes = 1'000'000'000, kMaxCacheMb = int64_t{1} << 20;

const train::Bounds& bound(const char* name) { return *train::option_bounds(name); }

int bench_sampler(int argc, char** argv) {
  po::options_description options(
      "cezanne bench sampler: episodes per second of the episode sampler");
  std::string store_dir, split_name_arg;
  int ways = 5, shots = 1, queries = 15, threads = 0, meta_batch = 1;
  int64_t episodes = 2000, cache_mb = 256;
  uint64_t seed = 0;
  bool within_domain = false, rotations = false;
  // clang-format off
  options.add_options()
    ("store", po::value(&store_dir), "store directory (default: a synthetic Omniglot-sized store in a temp dir)")
    ("split", po::value(&split_name_arg)->default_value("train"), "train, val or test")
    ("ways", bounded<int>(bound("ways"), &ways)->default_value(5), "classes per episode")
    ("shots", bounded<int>(bound("shots"), &shots)->default_value(1), "support examples per class")
    ("queries", bounded<int>(bound("queries"), &queries)->default_value(15), "query examples per class")
    ("episodes", bounded<int64_t>(1, kMaxEpisodes, &episodes)->default_value(2000), "episodes per pass")
    ("meta-batch", bounded<int>(bound("meta-batch"), &meta_batch)->default_value(1), "tasks per step (one sample_batch call)")
    ("threads", bounded<int>(bound("threads"), &threads)->default_value(0), "Prefetcher worker threads (0: sample on the calling thread)")
    ("within-domain", po::bool_switch(&within_domain), "draw an episode's classes from one domain")
    ("rotations", po::bool_switch(&rotations), "90-degree rotations as new classes")
    ("seed", unsigned_value(&seed)->default_value(0), "episode seed")
    ("cache-mb", bounded<int64_t>(0, kMaxCacheMb, &cache_mb)->default_value(256), "store class cache (MiB)");
  // clang-format on
  po::variables_map vm;
  if (!parse_options(argc, argv, "bench sampler", options, nullptr, vm)) return 0;
  const data::Split split = data::parse_split(split_name_arg);
  const data::EpisodeSpec spec{ways,     shots, queries, within_domain, /*shuffle_labels=*/true,
                               rotations};

  fs::path dir = store_dir;
  fs::path temp;
  if (store_dir.empty()) {
    temp = fs::temp_directory_path() / ("cezanne-bench-sampler-" + std::to_string(::getpid()));
    fs::remove_all(temp);
    dir = write_synthetic_store(temp / "store");
  }
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ec;
      if (!path.empty()) fs::remove_all(path, ec);
    }
  } cleanup{temp};

  std::vector<int64_t> tasks(static_cast<size_t>(meta_batch));
  std::iota(tasks.begin(), tasks.end(), int64_t{0});
  const int64_t steps = (episodes + meta_batch - 1) / meta_batch;

  data::Store::Options store_options;
  store_options.cache_bytes = static_cast<size_t>(cache_mb) << 20;
  // Opening: the manifest, every shard's validation, and the sampler's per-class tables.
  const double rss_before_open = resident_mb();
  const auto open_start = std::chrono::steady_clock::now();
  auto store = data::Store::open(dir, store_options);  // fresh: empty cache
  auto sampler = std::make_shared<const data::EpisodeSampler>(store, split, spec, seed);
  const std::chrono::duration<double> open_seconds = std::chrono::steady_clock::now() - open_start;
  const double open_mb = resident_mb() - rss_before_open;

  auto report = [&](const char* mode, const Pass& pass) {
    const double per_s = pass.episodes / pass.seconds;
    const double images = static_cast<double>(ways) * (shots + queries) * per_s;
    std::ostringstream line;
    line.precision(6);
    line << "{\"bench\":\"sampler\",\"mode\":\"" << mode << "\",\"episodes_per_s\":" << per_s
         << ",\"images_per_s\":" << images << ",\"ways\":" << ways << ",\"shots\":" << shots
         << ",\"queries\":" << queries << ",\"split\":\"" << data::split_name(split)
         << "\",\"within_domain\":" << (within_domain ? "true" : "false")
         << ",\"rotations\":" << (rotations ? "true" : "false") << ",\"threads\":" << threads
         << ",\"meta_batch\":" << meta_batch << ",\"episodes\":" << pass.episodes
         << ",\"seconds\":" << pass.seconds << ",\"cpu_seconds\":" << pass.cpu_seconds
         << ",\"open_s\":" << open_seconds.count() << ",\"open_mb\":" << open_mb << ",\"classes\":"
         << store->classes().size() << ",\"shards\":" << store->shards().size() << ",\"image\":[" << store->shape().channels << "," << store->shape().height << ","
         << store->shape().width
         << "],\"cached_mb\":" << static_cast<double>(store->cached_bytes()) / (1 << 20)
         << ",\"store\":"
         << json_string(store_dir.empty() ? std::string("synthetic") : dir.string()) << "}";
    std::cout << line.str() << std::endl;
  };
  // Cold: the first pass on a fresh store reads every class it meets from disk.
  report("cold", run_pass(sampler, tasks, 0, steps, threads));
  // Warm: other steps of the same split, classes now served from the cache.
  report("warm", run_pass(sampler, tasks, steps, steps, threads));
  return 0;
}

const CommandRegistrar kRegistrar(
    "bench sampler", "episodes per second of the episode sampler (cold and warm cache)",
    &bench_sampler);

}  // namespace
}  // namespace cz::cli
