// The NCCL backend: device buffers through NCCL on the calling thread's current stream of its
// device; host buffers (counts, flags) through the MPI communicator it was bootstrapped from.
#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cezanne/backend/Stream.hpp"
#include "cezanne/dist/Log.hpp"
#include "cezanne/dist/RankDevice.hpp"
#include "dist/backend/nccl/NcclBackend.hpp"

namespace cz::dist::detail {
namespace {

[[noreturn]] void fail(int rank, const std::string& what, const char* file, int line) {
  std::ostringstream message;
  message << "rank " << rank << ": " << what << " (" << file << ":" << line << ")";
  throw DistError(message.str());
}

#define CZ_CHECK_CUDA_RANK(rank, call)                                                               \
  do {                                                                                               \
    const cudaError_t cz_rc_ = (call);                                                               \
    if (cz_rc_ != cudaSuccess) fail(rank, std::string(#call) + ": " + cudaGetErrorString(cz_rc_), __FILE__, __LINE__); \
  } while (0)
#define CZ_CHECK_NCCL_RANK(rank, call)                                                               \
  do {                                                                                               \
    const ncclResult_t cz_rc_ = (call);                                                              \
    if (cz_rc_ != ncclSuccess) fail(rank, std::string(#call) + ": " + ncclGetErrorString(cz_rc_), __FILE__, __LINE__); \
  } while (0)

ncclDataType_t nccl_type(DataType t) {
  switch (t) {
    case DataType::f32: return ncclFloat32;
    case DataType::f64: return ncclFloat64;
    case DataType::i32: return ncclInt32;
    case DataType::i64: return ncclInt64;
    case DataType::u8: return ncclUint8;
  }
  return ncclFloat32;
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return ncclSum;
    case ReduceOp::min: return ncclMin;
    case ReduceOp::max: return ncclMax;
  }
  return ncclSum;
}

bool on_device(const void* p) {
  if (p == nullptr) return true;  // an empty device buffer
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, p) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error of an unregistered host pointer
    return false;
  }
  return attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
}

// The device of this rank: `requested` (the parameters' device) when given, else the local
// rank's (local_device_index, as --device cuda picks it). -1: none.
int nccl_device(const Communicator& mpi, int requested) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess) {
    (void)cudaGetLastError();
    return -1;
  }
  if (requested >= 0) return requested < devices ? requested : -1;
  return local_device_index(mpi.local_rank(), devices);
}

// A CUDA event without timing, destroyed with its holder unless released. Destroying an event
// whose work is still queued is allowed: CUDA frees it once that work has run.
struct Event {
  explicit Event(int rank) { CZ_CHECK_CUDA_RANK(rank, cudaEventCreateWithFlags(&event, cudaEventDisableTiming)); }
  ~Event() {
    if (event != nullptr) cudaEventDestroy(event);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t release() { return std::exchange(event, nullptr); }
  cudaEvent_t event = nullptr;
};

// A bucket's allreduce on the communicator's own stream: `done` is recorded after it, and wait()
// makes the calling thread's compute stream wait for that event, so what is issued next there
// (the divide, the optimizer) reads the sum, and the host never blocks.
class NcclPending final : public PendingCollective {
 public:
  NcclPending(int rank, cudaEvent_t done, cudaStream_t compute) : rank_(rank), done_(done), compute_(compute) {}
  ~NcclPending() override {
    if (!waited_) cudaStreamWaitEvent(compute_, done_, 0);  // as wait(), errors aside
    cudaEventDestroy(done_);
  }
  void wait() override {
    if (waited_) return;
    CZ_CHECK_CUDA_RANK(rank_, cudaStreamWaitEvent(compute_, done_, 0));
    waited_ = true;
  }
  bool test() override {
    const cudaError_t q = cudaEventQuery(done_);
    if (q == cudaSuccess) return true;
    if (q != cudaErrorNotReady) fail(rank_, std::string("cudaEventQuery: ") + cudaGetErrorString(q), __FILE__, __LINE__);
    return false;
  }

 private:
  int rank_;
  cudaEvent_t done_;
  cudaStream_t compute_;
  bool waited_ = false;
};

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(Communicator& mpi, int requested) : mpi_(mpi) {
    if (mpi.device_buffers()) throw DistError(with_rank(mpi.rank(), "NCCL bootstrap needs a host (MPI) communicator"));
    const int rank = mpi.rank();
    const std::string problem = nccl_device_problem(mpi, requested);
    if (!problem.empty()) throw DistError(with_rank(rank, "NCCL backend: " + problem));
    device_ = nccl_device(mpi, requested);
    CZ_CHECK_CUDA_RANK(rank, cudaSetDevice(device_));
    CZ_CHECK_CUDA_RANK(rank, cudaStreamCreateWithFlags(&own_stream_, cudaStreamNonBlocking));
    ncclUniqueId id{};
    if (rank == 0) CZ_CHECK_NCCL_RANK(rank, ncclGetUniqueId(&id));
    mpi.broadcast(&id, sizeof id, DataType::u8, 0);
    {
      Scope scope(*this, "ncclCommInitRank");
      CZ_CHECK_NCCL_RANK(rank, ncclCommInitRank(&comm_, mpi.size(), id, rank));
    }
    set_watchdog_seconds(mpi.watchdog_seconds());
  }

  ~NcclCommunicator() override {
    stop_watchdog();
    if (comm_ != nullptr) ncclCommDestroy(comm_);
    if (own_stream_ != nullptr) cudaStreamDestroy(own_stream_);
  }

  int rank() const override { return mpi_.rank(); }
  int size() const override { return mpi_.size(); }
  int local_rank() const override { return mpi_.local_rank(); }
  int local_size() const override { return mpi_.local_size(); }
  const char* backend() const override { return "nccl"; }
  bool device_buffers() const override { return true; }
  int device() const override { return device_; }

  void allreduce(void* data, size_t count, DataType type, ReduceOp op) override {
    if (!on_device(data)) return mpi_.allreduce(data, count, type, op);
    Scope scope(*this, "allreduce");
    CZ_CHECK_NCCL_RANK(rank(), ncclAllReduce(data, data, count, nccl_type(type), nccl_op(op), comm_, stream()));
    wait();
  }

  // The reducer's buckets: on the communicator's own stream, after an event that marks the
  // point of the compute stream where the bucket's gradient is complete; returns at once. NCCL
  // needs one communicator's kernels never to run concurrently on two streams: the blocking
  // collectives before a bucket have returned (host wait), and the compute stream waits for every
  // bucket (the reducer's finish) before the collectives issued after it.
  std::unique_ptr<PendingCollective> start_allreduce(void* data, size_t count, DataType type, ReduceOp op) override {
    if (!on_device(data)) return mpi_.start_allreduce(data, count, type, op);
    Scope scope(*this, "allreduce");
    CZ_CHECK_CUDA_RANK(rank(), cudaSetDevice(device_));
    const cudaStream_t compute = stream();
    const Event ready(rank());
    CZ_CHECK_CUDA_RANK(rank(), cudaEventRecord(ready.event, compute));
    CZ_CHECK_CUDA_RANK(rank(), cudaStreamWaitEvent(own_stream_, ready.event, 0));
    CZ_CHECK_NCCL_RANK(rank(), ncclAllReduce(data, data, count, nccl_type(type), nccl_op(op), comm_, own_stream_));
    Event done(rank());
    CZ_CHECK_CUDA_RANK(rank(), cudaEventRecord(done.event, own_stream_));
    return std::make_unique<NcclPending>(rank(), done.release(), compute);
  }

  void set_watchdog_seconds(double seconds) override {
    Communicator::set_watchdog_seconds(seconds);
    mpi_.set_watchdog_seconds(seconds);  // the host collectives this communicator hands on
  }

  void allgather(const void* send, size_t count, void* recv, DataType type) override {
    if (!on_device(recv)) return mpi_.allgather(send, count, recv, type);
    Scope scope(*this, "allgather");
    CZ_CHECK_NCCL_RANK(rank(), ncclAllGather(send, recv, count, nccl_type(type), comm_, stream()));
    wait();
  }

  void allgatherv(const void* send, void* recv, const std::vector<size_t>& counts, DataType type) override {
    if (!on_device(recv)) return mpi_.allgatherv(send, recv, counts, type);
    if (counts.size() != static_cast<size_t>(size()))
      throw DistError(with_rank(rank(), "allgatherv: " + std::to_string(counts.size()) + " counts"));
    Scope scope(*this, "allgatherv");
    // NCCL has no allgatherv: one broadcast per root, fused in a group.
    auto* out = static_cast<char*>(recv);
    const size_t element = data_type_size(type);
    CZ_CHECK_NCCL_RANK(rank(), ncclGroupStart());
    size_t offset = 0;
    for (int r = 0; r < size(); ++r) {
      const size_t n = counts[static_cast<size_t>(r)];
      if (n > 0)
        CZ_CHECK_NCCL_RANK(rank(), ncclBroadcast(r == rank() ? send : nullptr, out + offset * element, n,
                                                 nccl_type(type), r, comm_, stream()));
      offset += n;
    }
    CZ_CHECK_NCCL_RANK(rank(), ncclGroupEnd());
    wait();
  }

  void broadcast(void* data, size_t count, DataType type, int root) override {
    if (!on_device(data)) return mpi_.broadcast(data, count, type, root);
    Scope scope(*this, "broadcast");
    CZ_CHECK_NCCL_RANK(rank(), ncclBroadcast(data, data, count, nccl_type(type), root, comm_, stream()));
    wait();
  }

  void barrier() override {
    CZ_CHECK_CUDA_RANK(rank(), cudaStreamSynchronize(stream()));
    mpi_.barrier();
  }

  void divide(void* data, size_t count, DataType type, double divisor) override {
    if (!on_device(data)) return Communicator::divide(data, count, type, divisor);
    // On the compute stream, after the bucket's allreduce (its pending's wait()), before the
    // optimizer: ordered by the stream, so the host does not wait.
    try {
      divide_on_device(data, count, type, divisor, stream());
    } catch (const std::exception& e) {
      throw DistError(with_rank(rank(), e.what()));
    }
  }

  [[noreturn]] void abort(const std::string& message) override {
    if (comm_ != nullptr) ncclCommAbort(comm_);
    comm_ = nullptr;
    mpi_.abort(message);
    std::_Exit(1);  // not reached: abort does not return
  }

 private:
  // The calling thread's current stream of the device (backend/Stream.hpp): collectives run in
  // order with the kernels that produced their buffers, without an event between two streams.
  cudaStream_t stream() const { return static_cast<cudaStream_t>(current_stream(Device::cuda(device_)).handle); }

  // Waits for the stream, surfacing NCCL's asynchronous errors (a peer that died) as they
  // happen instead of spinning forever in cudaStreamSynchronize.
  void wait() {
    for (;;) {
      const cudaError_t q = cudaStreamQuery(stream());
      if (q == cudaSuccess) return;
      if (q != cudaErrorNotReady) fail(rank(), std::string("cudaStreamQuery: ") + cudaGetErrorString(q), __FILE__, __LINE__);
      ncclResult_t async = ncclSuccess;
      CZ_CHECK_NCCL_RANK(rank(), ncclCommGetAsyncError(comm_, &async));
      if (async != ncclSuccess && async != ncclInProgress)
        fail(rank(), std::string("NCCL asynchronous error: ") + ncclGetErrorString(async), __FILE__, __LINE__);
      std::this_thread::yield();
    }
  }

  Communicator& mpi_;
  ncclComm_t comm_ = nullptr;
  int device_ = 0;
  cudaStream_t own_stream_ = nullptr;  // the buckets of start_allreduce
};

}  // namespace

std::string nccl_device_problem(Communicator& mpi, int requested) {
  // Each rank contributes "uuid <hex>" of the device it would use, or "none <visible devices>".
  constexpr size_t kField = 64;
  std::string mine(kField, '\0');
  const int device = nccl_device(mpi, requested);
  std::string text;
  cudaDeviceProp prop{};
  if (device >= 0 && cudaGetDeviceProperties(&prop, device) == cudaSuccess) {
    std::ostringstream hex;
    hex << "uuid ";
    for (unsigned char b : prop.uuid.bytes) hex << "0123456789abcdef"[b >> 4] << "0123456789abcdef"[b & 15];
    text = hex.str();
  } else {
    (void)cudaGetLastError();
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess) (void)cudaGetLastError();
    text = "none " + std::to_string(devices) + " " + std::to_string(mpi.local_rank());
  }
  mine.replace(0, std::min(text.size(), kField - 1), text, 0, kField - 1);
  std::vector<char> all(kField * static_cast<size_t>(mpi.size()));
  mpi.allgather(mine.data(), kField, all.data(), DataType::u8);
  std::vector<std::string> fields;
  for (int r = 0; r < mpi.size(); ++r) fields.emplace_back(all.data() + static_cast<size_t>(r) * kField);
  for (int r = 0; r < mpi.size(); ++r) {
    std::istringstream in(fields[static_cast<size_t>(r)]);
    std::string kind, a, b;
    in >> kind >> a >> b;
    if (kind == "none")
      return "rank " + std::to_string(r) + " (local rank " + b + ") has no CUDA device of its own (" + a +
             " visible)";
    for (int q = 0; q < r; ++q)
      if (fields[static_cast<size_t>(q)] == fields[static_cast<size_t>(r)])
        return "ranks " + std::to_string(q) + " and " + std::to_string(r) + " would share GPU " + a +
               " (NCCL needs one GPU per rank: give each rank its own, e.g. srun --gpus-per-task=1)";
  }
  return "";
}

std::shared_ptr<Communicator> make_nccl(Communicator& mpi, int device) {
  return std::make_shared<NcclCommunicator>(mpi, device);
}

}  // namespace cz::dist::detail
