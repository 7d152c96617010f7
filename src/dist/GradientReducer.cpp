// The fused meta-gradient allreduce over the flat gradient buffer.
#include "cezanne/dist/GradientReducer.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "cezanne/dist/Log.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::dist {
namespace {

DataType floating_type(const Tensor& t, const Communicator& comm, const char* what) {
  if (t.dtype() == DType::f32) return DataType::f32;
  if (t.dtype() == DType::f64) return DataType::f64;
  throw DistError(with_rank(comm.rank(), std::string(what) + ": needs an f32 or f64 tensor, got " +
                                             dtype_name(t.dtype())));
}

// Whether the communicator moves t's memory itself (else it goes through a host copy).
bool moves_in_place(const Tensor& t, const Communicator& comm, const char* what) {
  if (!t.defined()) throw DistError(with_rank(comm.rank(), std::string(what) + ": undefined tensor"));
  if (!t.is_contiguous())
    throw DistError(with_rank(comm.rank(), std::string(what) + ": the flat buffer must be contiguous"));
  if (!comm.device_buffers()) return t.device() == comm.memory();
  if (t.device() != comm.memory())
    throw DistError(with_rank(comm.rank(), std::string(what) + ": tensor on " + t.device().str() + ", the " +
                                               comm.backend() + " communicator works on cuda:" +
                                               std::to_string(comm.device())));
  return true;
}

// Runs `collective` on t's memory, or on a host copy written back after (a host communicator
// and a tensor on a device: MPI without device-memory support). A single process does not
// need the copy: its collectives leave the buffer as it is, so `alone` runs on t instead.
template <class F, class Alone>
void on_communicator_memory(const Tensor& t, const Communicator& comm, const char* what, F collective, Alone alone) {
  if (moves_in_place(t, comm, what)) {
    collective(t);
    return;
  }
  if (comm.size() == 1) {
    alone(t);
    return;
  }
  const Tensor host = t.to(Device::cpu());
  collective(host);
  Tensor target = t;
  target.copy_(host.to(t.device()));
}

// Adds the seconds of its scope to a counter.
class Stopwatch {
 public:
  explicit Stopwatch(double& total) : total_(total), begin_(std::chrono::steady_clock::now()) {}
  ~Stopwatch() { total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count(); }
  Stopwatch(const Stopwatch&) = delete;
  Stopwatch& operator=(const Stopwatch&) = delete;

 private:
  double& total_;
  std::chrono::steady_clock::time_point begin_;
};

}  // namespace

// One reduction between start() and finish().
struct GradientReducer::Flight {
  char* data = nullptr;
  size_t count = 0;
  DataType type = DataType::f32;
  int64_t global_meta_batch = 1;
  size_t per_bucket = 1;  // elements of a full bucket
  std::vector<std::pair<size_t, size_t>> buckets;
  std::vector<size_t> missing;  // per bucket: elements not declared ready yet
  std::vector<std::unique_ptr<PendingCollective>> pending;  // per bucket, once launched
  size_t launched = 0;  // buckets launched so far; the next one is buckets.size() - 1 - launched
  size_t complete = 0;  // of those, how many (in launch order) are known complete
  Tensor deferred;      // defined: a buffer reduced by finish() through a host copy
};

GradientReducer::GradientReducer(Communicator& comm, size_t bucket_bytes)
    : comm_(comm), bucket_bytes_(std::max<size_t>(bucket_bytes, 1)) {}

GradientReducer::~GradientReducer() = default;

std::vector<std::pair<size_t, size_t>> GradientReducer::buckets(size_t count, size_t element_bytes) const {
  const size_t per_bucket = std::max<size_t>(1, bucket_bytes_ / std::max<size_t>(element_bytes, 1));
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t begin = 0; begin < count; begin += per_bucket) out.emplace_back(begin, std::min(count, begin + per_bucket));
  return out;
}

void GradientReducer::check_meta_batch(int64_t global_meta_batch) const {
  if (global_meta_batch < 1)
    throw DistError(with_rank(comm_.rank(), "GradientReducer::reduce: global meta-batch must be >= 1, got " +
                                                std::to_string(global_meta_batch)));
}

void GradientReducer::start_raw(void* data, size_t count, DataType type, int64_t global_meta_batch) {
  if (flight_) throw DistError(with_rank(comm_.rank(), "GradientReducer::start: a reduction is already in flight"));
  check_meta_batch(global_meta_batch);
  // Every rank must agree on the count before any bucket moves: a mismatch would otherwise
  // read or write past the end of the shorter buffer inside MPI.
  comm_.check_same_count(count, "GradientReducer::reduce");
  auto flight = std::make_unique<Flight>();
  flight->data = static_cast<char*>(data);
  flight->count = count;
  flight->type = type;
  flight->global_meta_batch = global_meta_batch;
  flight->per_bucket = std::max<size_t>(1, bucket_bytes_ / data_type_size(type));
  flight->buckets = buckets(count, data_type_size(type));
  for (const auto& [begin, end] : flight->buckets) flight->missing.push_back(end - begin);
  flight->pending.resize(flight->buckets.size());
  flight_ = std::move(flight);
}

void GradientReducer::launch_due(Flight& f) {
  const size_t n = f.buckets.size();
  const size_t element = data_type_size(f.type);
  while (f.launched < n && f.missing[n - 1 - f.launched] == 0) {
    const size_t b = n - 1 - f.launched;
    f.pending[b] = comm_.start_allreduce(f.data + f.buckets[b].first * element, f.buckets[b].second - f.buckets[b].first,
                                         f.type, ReduceOp::sum);
    ++f.launched;
    ++calls_;
  }
  // An MPI collective advances only inside MPI calls: one test of the oldest incomplete bucket
  // moves every one in flight along.
  while (f.complete < f.launched && f.pending[n - 1 - f.complete]->test()) ++f.complete;
}

void GradientReducer::ready(size_t begin, size_t end) {
  Stopwatch watch(exposed_seconds_);
  if (!flight_) throw DistError(with_rank(comm_.rank(), "GradientReducer::ready: no reduction started"));
  Flight& f = *flight_;
  if (begin > end || end > f.count)
    throw DistError(with_rank(comm_.rank(), "GradientReducer::ready: elements [" + std::to_string(begin) + ", " +
                                                std::to_string(end) + ") outside the buffer of " +
                                                std::to_string(f.count)));
  if (begin == end || f.deferred.defined()) return;
  for (size_t b = begin / f.per_bucket; b < f.buckets.size() && f.buckets[b].first < end; ++b) {
    const size_t overlap = std::min(end, f.buckets[b].second) - std::max(begin, f.buckets[b].first);
    if (overlap > f.missing[b])
      throw DistError(with_rank(comm_.rank(), "GradientReducer::ready: bucket " + std::to_string(b) +
                                                  " declared ready twice"));
    f.missing[b] -= overlap;
  }
  const int64_t before = calls_;
  launch_due(f);
  overlapped_calls_ += calls_ - before;
}

void GradientReducer::finish_raw() {
  // Taken first: whatever happens below, the next reduction starts afresh.
  const std::unique_ptr<Flight> flight = std::move(flight_);
  Flight& f = *flight;
  for (size_t& m : f.missing) m = 0;  // parameters without a gradient this step: as they are
  launch_due(f);
  const size_t n = f.buckets.size();
  const size_t element = data_type_size(f.type);
  for (size_t k = 0; k < n; ++k) {
    const size_t b = n - 1 - k;
    f.pending[b]->wait();
    // x / B (not x * (1/B)) rounds as a single-process mean would.
    comm_.divide(f.data + f.buckets[b].first * element, f.buckets[b].second - f.buckets[b].first, f.type,
                 static_cast<double>(f.global_meta_batch));
  }
}

void GradientReducer::reduce_tensor(const Tensor& flat_grad, int64_t global_meta_batch) {
  const DataType type = floating_type(flat_grad, comm_, "GradientReducer::reduce");
  on_communicator_memory(
      flat_grad, comm_, "GradientReducer::reduce",
      [&](const Tensor& buffer) {
        start_raw(buffer.numel() > 0 ? buffer.raw_data() : nullptr, static_cast<size_t>(buffer.numel()), type,
                  global_meta_batch);
        finish_raw();
      },
      [&](const Tensor& gradient) {
        // The sum over one rank is the gradient: only the division, where the gradient lives
        // (x / B in the element type, as Communicator::divide rounds it).
        check_meta_batch(global_meta_batch);
        Tensor target = gradient;
        target.copy_(binary(BinaryOp::div, gradient,
                            Tensor::scalar(static_cast<double>(global_meta_batch), gradient.dtype(), gradient.device())));
      });
}

void GradientReducer::finish() {
  Stopwatch watch(exposed_seconds_);
  if (!flight_) throw DistError(with_rank(comm_.rank(), "GradientReducer::finish: no reduction started"));
  if (flight_->deferred.defined()) {
    const Tensor deferred = flight_->deferred;
    const int64_t global_meta_batch = flight_->global_meta_batch;
    flight_.reset();
    reduce_tensor(deferred, global_meta_batch);
    return;
  }
  finish_raw();
}

void GradientReducer::reduce(const Tensor& flat_grad, int64_t global_meta_batch) {
  Stopwatch watch(exposed_seconds_);
  reduce_tensor(flat_grad, global_meta_batch);
}

void GradientReducer::reduce(std::span<float> flat_grad, int64_t global_meta_batch) {
  Stopwatch watch(exposed_seconds_);
  start_raw(flat_grad.data(), flat_grad.size(), DataType::f32, global_meta_batch);
  finish_raw();
}

void GradientReducer::reduce(std::span<double> flat_grad, int64_t global_meta_batch) {
  Stopwatch watch(exposed_seconds_);
  start_raw(flat_grad.data(), flat_grad.size(), DataType::f64, global_meta_batch);
  finish_raw();
}

void GradientReducer::start(const Tensor& flat_grad, int64_t global_meta_batch) {
  Stopwatch watch(exposed_seconds_);
  const DataType type = floating_type(flat_grad, comm_, "GradientReducer::start");
  if (moves_in_place(flat_grad, comm_, "GradientReducer::start")) {
    start_raw(flat_grad.numel() > 0 ? flat_grad.raw_data() : nullptr, static_cast<size_t>(flat_grad.numel()), type,
              global_meta_batch);
    return;
  }
  if (flight_) throw DistError(with_rank(comm_.rank(), "GradientReducer::start: a reduction is already in flight"));
  flight_ = std::make_unique<Flight>();
  flight_->count = static_cast<size_t>(flat_grad.numel());
  flight_->deferred = flat_grad;
  flight_->global_meta_batch = global_meta_batch;
}

void GradientReducer::start(std::span<float> flat_grad, int64_t global_meta_batch) {
  Stopwatch watch(exposed_seconds_);
  start_raw(flat_grad.data(), flat_grad.size(), DataType::f32, global_meta_batch);
}

void GradientReducer::start(std::span<double> flat_grad, int64_t global_meta_batch) {
  Stopwatch watch(exposed_seconds_);
  start_raw(flat_grad.data(), flat_grad.size(), DataType::f64, global_meta_batch);
}

void broadcast_parameters(Communicator& comm, const Tensor& flat) {
  const DataType type = floating_type(flat, comm, "broadcast_parameters");
  on_communicator_memory(
      flat, comm, "broadcast_parameters",
      [&](const Tensor& buffer) {
        comm.check_same_count(static_cast<size_t>(buffer.numel()), "broadcast_parameters");
        if (buffer.numel() > 0) comm.broadcast(buffer.raw_data(), static_cast<size_t>(buffer.numel()), type, 0);
      },
      [](const Tensor&) {});  // rank 0's parameters are already this rank's
}

}  // namespace cz::dist
