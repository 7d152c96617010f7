// Start-up: pick the MPI backend under a parallel launcher, the stub otherwise.
#include "cezanne/dist/Bootstrap.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "cezanne/dist/Log.hpp"
#include "dist/backend/mpi/MpiBackend.hpp"
#include "dist/backend/stub/StubCommunicator.hpp"
#if CEZANNE_WITH_NCCL
#include "dist/backend/nccl/NcclBackend.hpp"
#endif

namespace cz::dist {
namespace {

std::mutex world_mutex;
std::shared_ptr<Communicator> world;

long env_long(const char* name, long fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  char* end = nullptr;
  const long v = std::strtol(value, &end, 10);
  return end != value ? v : fallback;
}

// Ends this rank when MPI start-up or shut-down (`phase`) has not returned within `seconds`
// (InitOptions::startup_seconds, finalize's limit). Each poll counts for at most a second, so
// a rank that was itself stopped and continued does not time out on the gap.
class PhaseWatchdog {
 public:
  PhaseWatchdog(const char* phase, double seconds) : phase_(phase) {
    if (seconds > 0.0) thread_ = std::thread([this, seconds] { watch(seconds); });
  }
  ~PhaseWatchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  PhaseWatchdog(const PhaseWatchdog&) = delete;
  PhaseWatchdog& operator=(const PhaseWatchdog&) = delete;

 private:
  void watch(double seconds) {
    using Clock = std::chrono::steady_clock;
    std::unique_lock<std::mutex> lock(mutex_);
    double waited = 0.0;
    while (!done_ && waited < seconds) {
      const auto before = Clock::now();
      cv_.wait_for(lock, std::chrono::milliseconds(200));
      waited += std::min(1.0, std::chrono::duration<double>(Clock::now() - before).count());
    }
    if (done_) return;
    const long rank = env_long("OMPI_COMM_WORLD_RANK", env_long("PMIX_RANK", env_long("SLURM_PROCID", 0)));
    std::fprintf(stderr,
                 "cezanne: rank %ld: MPI %s blocked for %.0f s (watchdog limit %.0f s; another "
                 "rank failed, hangs or was stopped)\n",
                 rank, phase_, waited, seconds);
    std::fflush(stderr);
    std::_Exit(1);
  }
  const char* phase_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

double watchdog_from(const InitOptions& options) {
  if (options.watchdog_seconds >= 0.0) return options.watchdog_seconds;
  return watchdog_seconds_from_env().value_or(0.0);
}

}  // namespace

std::optional<double> watchdog_seconds_from_env() {
  if (const char* value = std::getenv("CEZANNE_WATCHDOG_SECONDS")) {
    char* end = nullptr;
    const double v = std::strtod(value, &end);
    if (end != value && v >= 0.0) return v;
  }
  return std::nullopt;
}

bool launched_in_parallel() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr ||
         std::getenv("PMI_RANK") != nullptr || env_long("SLURM_NTASKS", 1) > 1;
}

std::shared_ptr<Communicator> init(int* argc, char*** argv, InitOptions options) {
  std::lock_guard<std::mutex> lock(world_mutex);
  if (world) return world;
  if (launched_in_parallel()) {
    const long slurm_tasks = env_long("SLURM_NTASKS", 1);
    if (slurm_tasks > 1 && std::getenv("SLURM_STEP_ID") != nullptr && std::getenv("PMIX_RANK") == nullptr &&
        std::getenv("PMI_RANK") == nullptr && std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr) {
      // srun without a PMI plugin: checked before MPI_Init, because Open MPI aborts inside it
      // with a message that does not name the fix, and other MPIs start singletons that would
      // each train alone.
      throw DistError(with_rank(static_cast<int>(env_long("SLURM_PROCID", 0)),
                                "Slurm started " + std::to_string(slurm_tasks) +
                                    " tasks but MPI sees 1 rank; launch with srun --mpi=pmix"));
    }
    {
      const PhaseWatchdog watchdog("start-up", options.startup_seconds);
      detail::mpi_initialize(argc, argv);
      world = detail::make_mpi_world();
    }
  } else {
    world = std::make_shared<detail::StubCommunicator>();
  }
  world->set_watchdog_seconds(watchdog_from(options));
  return world;
}

void finalize(double limit_seconds) {
  std::shared_ptr<Communicator> last;
  {
    std::lock_guard<std::mutex> lock(world_mutex);
    last = std::move(world);
  }
  // Free the communicator (MPI_Comm_free) before MPI_Finalize when nobody else holds it.
  last.reset();
  const PhaseWatchdog watchdog("shut-down", limit_seconds);
  detail::mpi_finalize();
}

void abort_world(int status) { detail::mpi_abort_world(status); }

std::string mpi_library_version() { return detail::mpi_library_version(); }

bool nccl_built() { return CEZANNE_WITH_NCCL != 0; }

std::string nccl_device_problem(Communicator& mpi, int device) {
#if CEZANNE_WITH_NCCL
  return detail::nccl_device_problem(mpi, device);
#else
  (void)mpi;
  (void)device;
  return "the NCCL backend is not built (configure with CEZANNE_WITH_NCCL=ON)";
#endif
}

std::shared_ptr<Communicator> make_nccl_communicator(Communicator& mpi, int device) {
#if CEZANNE_WITH_NCCL
  return detail::make_nccl(mpi, device);
#else
  (void)device;
  throw DistError(with_rank(mpi.rank(), "the NCCL backend is not built (configure with CEZANNE_WITH_NCCL=ON)"));
#endif
}

}  // namespace cz::dist
