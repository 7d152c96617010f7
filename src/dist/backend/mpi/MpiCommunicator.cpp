// The MPI backend: MPI_ERRORS_RETURN everywhere, every call checked, counts chunked below INT_MAX.
#include "dist/backend/mpi/MpiCommunicator.hpp"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "cezanne/dist/Log.hpp"
#include "dist/backend/mpi/MpiBackend.hpp"
#include "dist/backend/mpi/MpiCheck.hpp"

namespace cz::dist::detail {
namespace {

// Largest element count passed to one MPI call (MPI counts are int).
constexpr size_t kMaxChunk = size_t{1} << 30;

MPI_Datatype mpi_type(DataType t) {
  switch (t) {
    case DataType::f32: return MPI_FLOAT;
    case DataType::f64: return MPI_DOUBLE;
    case DataType::i32: return MPI_INT32_T;
    case DataType::i64: return MPI_INT64_T;
    case DataType::u8: return MPI_UINT8_T;
  }
  return MPI_DATATYPE_NULL;
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return MPI_SUM;
    case ReduceOp::min: return MPI_MIN;
    case ReduceOp::max: return MPI_MAX;
  }
  return MPI_OP_NULL;
}

bool initialized_by_us = false;

}  // namespace

int mpi_world_rank() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return -1;
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

void throw_mpi_error(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) std::snprintf(text, sizeof text, "MPI error %d", code);
  std::ostringstream message;
  message << "rank " << mpi_world_rank() << ": " << call << " failed: " << text << " (" << file << ":" << line
          << ")";
  throw DistError(message.str());
}

bool mpi_initialize(int* argc, char*** argv) {
  int initialized = 0;
  CZ_CHECK_MPI(MPI_Initialized(&initialized));
  if (initialized) return false;
  int provided = 0;
  // FUNNELED: only the thread that called init makes MPI calls. The data loader's I/O thread
  // never does; the watchdog thread's MPI_Abort on a blocked collective is the one exception,
  // which is an exit path (Open MPI and MPICH kill the job from any thread).
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw DistError("rank ?: MPI_Init_thread failed");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  if (provided < MPI_THREAD_FUNNELED)
    throw DistError(with_rank(mpi_world_rank(), "MPI provides thread level " + std::to_string(provided) +
                                                     ", cezanne needs MPI_THREAD_FUNNELED"));
  initialized_by_us = true;
  return true;
}

void mpi_finalize() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized && initialized_by_us) MPI_Finalize();
}

std::shared_ptr<Communicator> make_mpi_world() { return std::make_shared<MpiCommunicator>(MPI_COMM_WORLD); }

void mpi_abort_world(int status) {
  if (mpi_world_rank() < 0) return;  // not running: nobody else to end
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size > 1) MPI_Abort(MPI_COMM_WORLD, status);
}

std::string mpi_library_version() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  if (MPI_Get_library_version(version, &length) != MPI_SUCCESS) return "";
  version[MPI_MAX_LIBRARY_VERSION_STRING - 1] = '\0';
  return version;  // up to the NUL: some MPIs count it in length
}

MpiCommunicator::MpiCommunicator(MPI_Comm parent) {
  CZ_CHECK_MPI(MPI_Comm_dup(parent, &comm_));
  CZ_CHECK_MPI(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  CZ_CHECK_MPI(MPI_Comm_rank(comm_, &rank_));
  CZ_CHECK_MPI(MPI_Comm_size(comm_, &size_));
  MPI_Comm local = MPI_COMM_NULL;
  CZ_CHECK_MPI(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local));
  CZ_CHECK_MPI(MPI_Comm_rank(local, &local_rank_));
  CZ_CHECK_MPI(MPI_Comm_size(local, &local_size_));
  CZ_CHECK_MPI(MPI_Comm_free(&local));
}

MpiCommunicator::~MpiCommunicator() {
  stop_watchdog();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void MpiCommunicator::allreduce(void* data, size_t count, DataType type, ReduceOp op) {
  Scope scope(*this, "allreduce");
  auto* bytes = static_cast<char*>(data);
  const size_t element = data_type_size(type);
  // An empty buffer still takes part (count 0), so every rank makes the same calls.
  size_t done = 0;
  do {
    const size_t n = std::min(kMaxChunk, count - done);
    CZ_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, bytes + done * element, static_cast<int>(n), mpi_type(type), mpi_op(op),
                               comm_));
    done += n;
  } while (done < count);
}

// MPI_Iallreduce requests, one per chunk of at most kMaxChunk elements.
class MpiCommunicator::Pending final : public PendingCollective {
 public:
  Pending(MpiCommunicator& comm, const char* name) : comm_(comm), name_(name) {}
  ~Pending() override {
    // A rank leaving a step early (an exception) still completes what it started: MPI forbids
    // freeing an active collective request, and the other ranks are in the same collective. The
    // watchdog ends the job when they never arrive.
    if (!requests_.empty()) {
      Scope scope(comm_, name_);
      MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
    }
  }
  void wait() override {
    if (requests_.empty()) return;
    Scope scope(comm_, name_);
    CZ_CHECK_MPI(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE));
    requests_.clear();
  }
  bool test() override {
    if (requests_.empty()) return true;
    int done = 0;
    CZ_CHECK_MPI(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE));
    if (done) requests_.clear();
    return done != 0;
  }
  std::vector<MPI_Request> requests_;

 private:
  MpiCommunicator& comm_;
  const char* name_;
};

std::unique_ptr<PendingCollective> MpiCommunicator::start_allreduce(void* data, size_t count, DataType type,
                                                                    ReduceOp op) {
  auto pending = std::make_unique<Pending>(*this, "allreduce");
  auto* bytes = static_cast<char*>(data);
  const size_t element = data_type_size(type);
  size_t done = 0;
  do {
    const size_t n = std::min(kMaxChunk, count - done);
    MPI_Request request = MPI_REQUEST_NULL;
    CZ_CHECK_MPI(MPI_Iallreduce(MPI_IN_PLACE, bytes + done * element, static_cast<int>(n), mpi_type(type), mpi_op(op),
                                comm_, &request));
    pending->requests_.push_back(request);
    done += n;
  } while (done < count);
  return pending;
}

void MpiCommunicator::allgather(const void* send, size_t count, void* recv, DataType type) {
  if (count > static_cast<size_t>(INT_MAX))
    throw DistError(with_rank(rank_, "allgather: " + std::to_string(count) + " elements per rank exceed INT_MAX"));
  Scope scope(*this, "allgather");
  CZ_CHECK_MPI(MPI_Allgather(send, static_cast<int>(count), mpi_type(type), recv, static_cast<int>(count),
                             mpi_type(type), comm_));
}

void MpiCommunicator::allgatherv(const void* send, void* recv, const std::vector<size_t>& counts, DataType type) {
  if (counts.size() != static_cast<size_t>(size_))
    throw DistError(with_rank(rank_, "allgatherv: " + std::to_string(counts.size()) + " counts for " +
                                         std::to_string(size_) + " ranks"));
  std::vector<int> n(counts.size()), displacement(counts.size());
  size_t total = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    if (total + counts[r] > static_cast<size_t>(INT_MAX))
      throw DistError(with_rank(rank_, "allgatherv: more than INT_MAX elements in total"));
    n[r] = static_cast<int>(counts[r]);
    displacement[r] = static_cast<int>(total);
    total += counts[r];
  }
  Scope scope(*this, "allgatherv");
  CZ_CHECK_MPI(MPI_Allgatherv(send, n[static_cast<size_t>(rank_)], mpi_type(type), recv, n.data(),
                              displacement.data(), mpi_type(type), comm_));
}

void MpiCommunicator::broadcast(void* data, size_t count, DataType type, int root) {
  if (root < 0 || root >= size_)
    throw DistError(with_rank(rank_, "broadcast: root " + std::to_string(root) + " outside [0, " +
                                         std::to_string(size_) + ")"));
  Scope scope(*this, "broadcast");
  auto* bytes = static_cast<char*>(data);
  const size_t element = data_type_size(type);
  size_t done = 0;
  do {
    const size_t n = std::min(kMaxChunk, count - done);
    CZ_CHECK_MPI(MPI_Bcast(bytes + done * element, static_cast<int>(n), mpi_type(type), root, comm_));
    done += n;
  } while (done < count);
}

void MpiCommunicator::barrier() {
  Scope scope(*this, "barrier");
  CZ_CHECK_MPI(MPI_Barrier(comm_));
}

void MpiCommunicator::abort(const std::string& message) {
  error(*this, message);
  std::cout.flush();
  // MPI_Abort on the world: a failure on one rank ends the whole job, not only this group.
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

}  // namespace cz::dist::detail
