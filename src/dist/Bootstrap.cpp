// Start-up: pick the MPI backend under a parallel launcher, the stub otherwise.
#include "cezanne/dist/Bootstrap.hpp"

#include <cstdlib>
#include <mutex>
#include <string>

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

double watchdog_from(const InitOptions& options) {
  if (options.watchdog_seconds >= 0.0) return options.watchdog_seconds;
  if (const char* value = std::getenv("CEZANNE_WATCHDOG_SECONDS")) {
    char* end = nullptr;
    const double v = std::strtod(value, &end);
    if (end != value && v >= 0.0) return v;
  }
  return 0.0;
}

}  // namespace

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
    detail::mpi_initialize(argc, argv);
    world = detail::make_mpi_world();
  } else {
    world = std::make_shared<detail::StubCommunicator>();
  }
  world->set_watchdog_seconds(watchdog_from(options));
  return world;
}

void finalize() {
  std::shared_ptr<Communicator> last;
  {
    std::lock_guard<std::mutex> lock(world_mutex);
    last = std::move(world);
  }
  // Free the communicator (MPI_Comm_free) before MPI_Finalize when nobody else holds it.
  last.reset();
  detail::mpi_finalize();
}

bool nccl_built() { return CEZANNE_WITH_NCCL != 0; }

std::string nccl_device_problem(Communicator& mpi) {
#if CEZANNE_WITH_NCCL
  return detail::nccl_device_problem(mpi);
#else
  (void)mpi;
  return "the NCCL backend is not built (configure with CEZANNE_WITH_NCCL=ON)";
#endif
}

std::shared_ptr<Communicator> make_nccl_communicator(Communicator& mpi) {
#if CEZANNE_WITH_NCCL
  return detail::make_nccl(mpi);
#else
  throw DistError(with_rank(mpi.rank(), "the NCCL backend is not built (configure with CEZANNE_WITH_NCCL=ON)"));
#endif
}

}  // namespace cz::dist
