// Communicator: the collectives cezanne needs, behind one interface (MPI, NCCL, stub backends).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cezanne/tensor/Device.hpp"
#include "cezanne/tensor/Error.hpp"

namespace cz::dist {

/// A failed or misused collective. The message always starts with "rank R: ".
struct DistError : cz::Error {
  using cz::Error::Error;
};

/// Element types a collective can move (a superset of the tensor dtypes: flags and counts too).
enum class DataType : uint8_t { f32, f64, i32, i64, u8 };
enum class ReduceOp : uint8_t { sum, min, max };

constexpr size_t data_type_size(DataType t) {
  switch (t) {
    case DataType::f32: case DataType::i32: return 4;
    case DataType::f64: case DataType::i64: return 8;
    case DataType::u8: return 1;
  }
  return 0;
}
const char* data_type_name(DataType t);

template <class T> constexpr DataType data_type_of();
template <> constexpr DataType data_type_of<float>() { return DataType::f32; }
template <> constexpr DataType data_type_of<double>() { return DataType::f64; }
template <> constexpr DataType data_type_of<int32_t>() { return DataType::i32; }
template <> constexpr DataType data_type_of<int64_t>() { return DataType::i64; }
template <> constexpr DataType data_type_of<uint8_t>() { return DataType::u8; }

/// A non-blocking collective in flight (Communicator::start_allreduce). Its buffer must not be
/// read or written until wait() has returned. Destroying one that was not waited for waits.
class PendingCollective {
 public:
  virtual ~PendingCollective() = default;
  /// Blocks until the result is in place (under the communicator's watchdog); NCCL on device
  /// memory: makes the current stream wait for it instead, so work issued there next sees it.
  virtual void wait() = 0;
  /// Lets the collective advance without blocking; true once it is complete. An MPI collective
  /// progresses only inside MPI calls, so whoever overlaps it with computation calls this now
  /// and then.
  virtual bool test() = 0;
};

/// One process's view of a group of ranks.
///
/// The raw collectives (`allreduce`, `allgather`, ...) are virtual and unchecked: every rank
/// must pass the same count and type, as in MPI. The checked entry points (`allreduce_sum`,
/// `allgather_checked`, `check_same_count`) first agree on the element count with one tiny
/// collective and throw DistError on every rank, consistently, when the counts differ.
///
/// Buffers are host memory for the MPI and stub backends. The NCCL backend moves device memory
/// of `device()` through NCCL (`device_buffers()` is true) and passes host buffers — the small
/// counts, flags and checks above — to the MPI communicator it was built on. Each collective
/// blocks until its result is in place, except start_allreduce (and divide) on NCCL device
/// buffers, which are ordered on the calling thread's current stream of the device instead
/// (see there): what is issued to that stream afterwards sees the result, the host does not wait.
///
/// Every collective runs under a watchdog: when one has been in progress for longer than
/// `watchdog_seconds()` (0 disables), the process prints "cezanne: rank R: collective <name>
/// blocked for N s" and aborts every rank.
class Communicator {
 public:
  Communicator() = default;
  virtual ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Rank among the processes of this node (MPI_COMM_TYPE_SHARED), and their number.
  virtual int local_rank() const = 0;
  virtual int local_size() const = 0;
  /// "mpi", "nccl" or "stub".
  virtual const char* backend() const = 0;
  /// True when buffers must be device memory (NCCL); the CUDA device index is `device()`.
  virtual bool device_buffers() const { return false; }
  virtual int device() const { return -1; }
  /// The device whose memory the tensor collectives move in place (the host, or NCCL's GPU); a
  /// tensor elsewhere goes through a copy to it and back.
  Device memory() const { return device_buffers() ? Device::cuda(device()) : Device::cpu(); }

  // ---- raw collectives (same count and type on every rank)
  /// In place: data[i] = op over ranks of data[i].
  virtual void allreduce(void* data, size_t count, DataType type, ReduceOp op) = 0;
  /// The same reduction, started and returned at once (MPI_Iallreduce); every rank must start
  /// its collectives in the same order. The result may differ in the last bits from
  /// allreduce()'s (MPI may pick another algorithm), never between two runs of it on the same
  /// bytes. The default runs allreduce() and returns a completed collective (the single-process
  /// communicator). NCCL, for device memory: the allreduce runs on the communicator's own stream
  /// after an event recorded on the calling thread's current stream (so it reads what the kernels
  /// issued before the call wrote), and wait() makes the current stream wait for its completion
  /// event without blocking the host; test() asks the event.
  virtual std::unique_ptr<PendingCollective> start_allreduce(void* data, size_t count, DataType type, ReduceOp op);
  /// recv holds size() * count elements: rank r's `count` elements at r * count.
  virtual void allgather(const void* send, size_t count, void* recv, DataType type) = 0;
  /// Varying counts: counts[r] elements from rank r, placed one after the other in rank order.
  virtual void allgatherv(const void* send, void* recv, const std::vector<size_t>& counts, DataType type) = 0;
  /// In place: every rank ends with root's `count` elements.
  virtual void broadcast(void* data, size_t count, DataType type, int root) = 0;
  virtual void barrier() = 0;
  /// Prints "cezanne: rank R: <message>" on stderr and ends every rank with status 1.
  [[noreturn]] virtual void abort(const std::string& message) = 0;
  /// Multiplies data[i] by 1/divisor in place, on the memory this backend works on
  /// (the average step of a reduction: x / divisor, so every rank rounds alike). NCCL: a kernel
  /// on the current stream, not waited for.
  virtual void divide(void* data, size_t count, DataType type, double divisor);

  // ---- checked and typed helpers
  /// Throws DistError "<what>: buffer size differs across ranks (min N, max M)" on every rank
  /// when `count` is not the same everywhere (one allreduce of two int64).
  void check_same_count(size_t count, const char* what);
  /// check_same_count, then the sum over ranks in place.
  template <class T>
  void allreduce_sum(std::span<T> data) {
    check_same_count(data.size(), "allreduce");
    allreduce(data.data(), data.size(), data_type_of<T>(), ReduceOp::sum);
  }
  /// The value reduced over ranks.
  template <class T>
  T allreduce_value(T value, ReduceOp op) {
    allreduce(&value, 1, data_type_of<T>(), op);
    return value;
  }
  /// check_same_count, then allgather.
  template <class T>
  std::vector<T> allgather_checked(std::span<const T> send) {
    check_same_count(send.size(), "allgather");
    std::vector<T> recv(send.size() * static_cast<size_t>(size()));
    allgather(send.data(), send.size(), recv.data(), data_type_of<T>());
    return recv;
  }
  /// Every rank's `count`, in rank order.
  std::vector<size_t> allgather_counts(size_t count);
  template <class T>
  void broadcast(std::span<T> data, int root) {
    broadcast(data.data(), data.size(), data_type_of<T>(), root);
  }

  // ---- watchdog
  /// 0 disables. Takes effect for the next collective. (The NCCL communicator sets the limit of
  /// the MPI communicator it hands host buffers to as well.)
  virtual void set_watchdog_seconds(double seconds);
  double watchdog_seconds() const { return watchdog_seconds_.load(); }
  /// Name of the collective in progress on this rank, or nullptr.
  const char* collective_in_progress() const { return current_.load(); }

 protected:
  /// Marks a collective as in progress for the watchdog (RAII; backends wrap each call).
  class Scope {
   public:
    Scope(Communicator& comm, const char* name);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Communicator& comm_;
  };
  /// Stops the watchdog thread; backends call it first thing in their destructor.
  void stop_watchdog();

 private:
  void watchdog_loop();

  std::atomic<double> watchdog_seconds_{0.0};
  std::atomic<const char*> current_{nullptr};
  std::atomic<int64_t> started_ns_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread watchdog_;
};

}  // namespace cz::dist
