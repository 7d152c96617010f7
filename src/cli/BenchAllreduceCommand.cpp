// `cezanne bench allreduce`: allreduce time, algorithm and bus bandwidth per message size, as
// nccl-tests report them, beside a ring model fitted to this machine's copy bandwidth.
#include <boost/program_options.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "Command.hpp"
#include "cezanne/backend/CudaRuntime.hpp"
#include "cezanne/dist/Bootstrap.hpp"
#include "cezanne/dist/Communicator.hpp"
#include "cezanne/dist/Failure.hpp"
#include "cezanne/dist/Log.hpp"

namespace po = boost::program_options;

namespace cz::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Bounds: a message of at most 16 GiB (one buffer of the largest size is allocated), 1e6
// allreduces per size, a watchdog of at most 1e6 s (11 days), ranks below 1e6.
constexpr size_t kMaxBytes = size_t{16} << 30;
constexpr int kMaxIters = 1'000'000, kMaxRank = 999'999;
constexpr double kMaxWatchdogSeconds = 1e6;

// "1K", "256M", "4096", "1G" -> bytes (binary multiples, as nccl-tests' -b/-e), in [1, 16G].
size_t parse_bytes(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) throw UsageError("--bytes: not a size: '" + text + "'");
  const size_t pos = digits;
  unsigned long long value = 0;
  if (std::from_chars(text.data(), text.data() + digits, value).ec != std::errc())
    value = std::numeric_limits<unsigned long long>::max();  // too many digits: out of range
  std::string suffix = text.substr(pos);
  if (!suffix.empty() && (suffix.back() == 'B' || suffix.back() == 'b')) suffix.pop_back();
  size_t scale = 1;
  if (suffix == "K" || suffix == "k") scale = size_t{1} << 10;
  else if (suffix == "M" || suffix == "m") scale = size_t{1} << 20;
  else if (suffix == "G" || suffix == "g") scale = size_t{1} << 30;
  else if (!suffix.empty()) throw UsageError("--bytes: unknown suffix in '" + text + "' (use K, M or G)");
  if (value > kMaxBytes / scale) throw UsageError("--bytes: must be in [1, 16G], got " + text);
  return static_cast<size_t>(value) * scale;
}

// "MIN..MAX" doubles from MIN to MAX (MAX included when reached); "N" is one size.
std::vector<size_t> parse_range(const std::string& text) {
  const auto dots = text.find("..");
  const size_t lo = parse_bytes(text.substr(0, dots));
  const size_t hi = dots == std::string::npos ? lo : parse_bytes(text.substr(dots + 2));
  if (lo == 0 || hi < lo) throw UsageError("--bytes: need 0 < MIN <= MAX, got '" + text + "'");
  std::vector<size_t> sizes;
  for (size_t b = lo; b <= hi; b *= 2) sizes.push_back(b);
  return sizes;
}

// Best-of-5 host copy bandwidth in bytes/s over 64 MiB (the "link" of a shared-memory ring).
double memcpy_bandwidth() {
  const size_t n = size_t{64} << 20;
  std::vector<char> a(n, 1), b(n, 2);
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto start = Clock::now();
    std::memcpy(b.data(), a.data(), n);
    best = std::min(best, seconds_since(start));
    a[static_cast<size_t>(rep)] = b[n - 1 - static_cast<size_t>(rep)];  // keep the copy observable
  }
  return static_cast<double>(n) / best;
}

struct TestHook {
  std::string kind;  // "", "throw" or "hang"
  int rank = -1;
};

TestHook parse_hook(const std::string& text) {
  if (text.empty()) return {};
  const auto colon = text.find(':');
  TestHook hook{text.substr(0, colon), -1};
  if (colon != std::string::npos) {
    const char* begin = text.c_str() + colon + 1;
    const char* end = text.c_str() + text.size();
    int rank = -1;
    const auto [ptr, ec] = std::from_chars(begin, end, rank);
    if (ec == std::errc() && ptr == end && begin != end && rank <= kMaxRank) hook.rank = rank;
  }
  if ((hook.kind != "throw" && hook.kind != "hang") || hook.rank < 0)
    throw UsageError("--inject-failure: expected throw:RANK or hang:RANK, got '" + text + "'");
  return hook;
}

// Runs the hook on its rank after the first collective, while the others go on to the next.
void maybe_fail(const TestHook& hook, const dist::Communicator& comm) {
  if (hook.kind.empty() || hook.rank != comm.rank()) return;
  if (hook.kind == "throw") throw std::runtime_error("injected failure (test hook --inject-failure throw)");
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // "hang": only the watchdog ends this
}

struct Settings {
  std::vector<size_t> sizes;
  int iters = 20, warmup = 5;
  std::string backend, dtype_name;
  dist::DataType type = dist::DataType::f32;
  TestHook hook;
};

// Validated before MPI starts, so a bad command line is a usage error (exit 2) on every rank.
Settings settings_from(const po::variables_map& vm) {
  Settings s;
  s.sizes = parse_range(vm["bytes"].as<std::string>());
  s.iters = vm["iters"].as<int>();
  s.warmup = vm["warmup"].as<int>();
  s.backend = vm["backend"].as<std::string>();
  s.dtype_name = vm["dtype"].as<std::string>();
  if (s.dtype_name != "f32" && s.dtype_name != "f64") throw UsageError("--dtype: f32 or f64, got '" + s.dtype_name + "'");
  if (s.backend != "mpi" && s.backend != "nccl") throw UsageError("--backend: mpi or nccl, got '" + s.backend + "'");
  s.type = s.dtype_name == "f64" ? dist::DataType::f64 : dist::DataType::f32;
  s.hook = parse_hook(vm["inject-failure"].as<std::string>());
  return s;
}

int run_bench(dist::Communicator& world, const Settings& settings) {
  const auto& [sizes, iters, warmup, backend, dtype_name, type, hook] = settings;
  std::shared_ptr<dist::Communicator> nccl;
  if (backend == "nccl") nccl = dist::make_nccl_communicator(world);
  dist::Communicator& comm = nccl ? *nccl : world;
  const int P = comm.size();
  const size_t element = dist::data_type_size(type);

  // One buffer of the largest size, reused: host memory, or device memory for NCCL.
  const size_t max_bytes = sizes.back() / element * element;
  std::vector<char> host;
  std::unique_ptr<void, void (*)(void*)> device(nullptr, cz::cuda::free_device);
  void* buffer = nullptr;
  if (comm.device_buffers()) {
    device.reset(cz::cuda::malloc_device(std::max<size_t>(max_bytes, element)));
    buffer = device.get();
  } else {
    host.assign(std::max<size_t>(max_bytes, element), 0);
    buffer = host.data();
  }

  // Ring model inputs: copy bandwidth of this node, and a per-step latency from the time of a
  // one-element allreduce (2(P-1) steps in a ring).
  comm.barrier();
  maybe_fail(hook, comm);
  const double copy_bw = memcpy_bandwidth();
  double alpha = 0.0;
  if (P > 1) {
    for (int i = 0; i < 10; ++i) comm.allreduce(buffer, 1, type, dist::ReduceOp::sum);
    const int n = 200;
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) comm.allreduce(buffer, 1, type, dist::ReduceOp::sum);
    alpha = world.allreduce_value(seconds_since(start) / n, dist::ReduceOp::max) / (2.0 * (P - 1));
  }
  {
    std::ostringstream line;
    line << "{\"bench\":\"allreduce_model\",\"backend\":\"" << comm.backend() << "\",\"ranks\":" << P
         << ",\"memcpy_gbps\":" << copy_bw * 1e-9 << ",\"latency_us\":" << alpha * 1e6 << "}";
    dist::log(world, line.str());
  }

  for (const size_t requested : sizes) {
    const size_t count = requested / element;
    const size_t bytes = count * element;
    comm.check_same_count(count, "bench allreduce");
    for (int i = 0; i < warmup; ++i) comm.allreduce(buffer, count, type, dist::ReduceOp::sum);
    comm.barrier();
    const auto start = Clock::now();
    for (int i = 0; i < iters; ++i) comm.allreduce(buffer, count, type, dist::ReduceOp::sum);
    const double mean = seconds_since(start) / iters;
    const double time = world.allreduce_value(mean, dist::ReduceOp::max);  // the slowest rank
    const double algbw = static_cast<double>(bytes) / time * 1e-9;
    const double busbw = algbw * 2.0 * (P - 1) / P;
    const double model =
        P > 1 ? 2.0 * (P - 1) / P * static_cast<double>(bytes) / copy_bw + 2.0 * (P - 1) * alpha : 0.0;
    std::ostringstream line;
    line << "{\"bench\":\"allreduce\",\"backend\":\"" << comm.backend() << "\",\"dtype\":\"" << dtype_name
         << "\",\"ranks\":" << P << ",\"bytes\":" << bytes << ",\"iters\":" << iters << ",\"time_us\":" << time * 1e6
         << ",\"algbw_gbps\":" << algbw << ",\"busbw_gbps\":" << busbw << ",\"ring_model_us\":" << model * 1e6
         << "}";
    dist::log(world, line.str());
  }
  return 0;
}

int bench_allreduce(int argc, char** argv) {
  po::options_description options("cezanne bench allreduce: allreduce time and bandwidth per size (run under mpirun)");
  // clang-format off
  options.add_options()
    ("bytes", po::value<std::string>()->default_value("1K..256M"), "sizes MIN..MAX in bytes (K, M, G suffixes), doubling")
    ("iters", bounded<int>(1, kMaxIters)->default_value(20), "timed allreduces per size")
    ("warmup", bounded<int>(0, kMaxIters)->default_value(5), "untimed allreduces per size")
    ("backend", po::value<std::string>()->default_value("mpi"), "mpi (host buffers) or nccl (device buffers)")
    ("dtype", po::value<std::string>()->default_value("f32"), "f32 or f64")
    ("watchdog-seconds", bounded<double>(0.0, kMaxWatchdogSeconds)->default_value(0.0), "abort every rank when a collective blocks this long (0: off)")
    ("inject-failure", po::value<std::string>()->default_value(""),
     "test hook: throw:R makes rank R throw, hang:R makes it sleep forever, after the first collective");
  // clang-format on
  po::variables_map vm;
  if (!parse_options(argc, argv, "bench allreduce", options, nullptr, vm)) return 0;
  const Settings settings = settings_from(vm);
  auto world = dist::init(&argc, &argv, {.watchdog_seconds = vm["watchdog-seconds"].as<double>()});
  const int status = dist::run_guarded(*world, [&] { return run_bench(*world, settings); });
  world.reset();
  dist::finalize();
  return status;
}

const CommandRegistrar kBenchAllreduce("bench allreduce", "allreduce time, algbw and busbw per message size",
                                       bench_allreduce);

}  // namespace
}  // namespace cz::cli
