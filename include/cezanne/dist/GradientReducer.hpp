// The fused meta-gradient allreduce: one flat buffer, fixed buckets, sum then divide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cezanne/dist/Communicator.hpp"
#include "cezanne/tensor/Tensor.hpp"

namespace cz::dist {

/// Averages the flat gradient buffer of a parameter set over the global meta-batch.
///
/// Works on the flat gradient (nn::Params::flat_grad()) of a meta-step, never inside the
/// autograd graph, so inner-loop gradients stay on their rank and communication is never
/// differentiated. The buffer is cut into buckets of `bucket_bytes` in index order — the same
/// cut on every rank, whatever the timing — and each bucket is summed over ranks by one
/// non-blocking allreduce (Communicator::start_allreduce), then divided by the global
/// meta-batch (the number of tasks over all ranks, which need not be a multiple of the number
/// of ranks). Buckets are launched in one fixed order, the last bucket first: backward finishes
/// the parameters near the outputs (laid out last) first.
///
/// Two ways to use it, with bitwise the same result (the same buckets, each moved by the same
/// collective on the same bytes, the same division after):
/// - blocking: reduce() after the backward pass;
/// - overlapped with the backward pass: start() before the last backward, ready(begin, end) from
///   the leaves' accumulated hooks as each parameter's gradient becomes final (a bucket is
///   launched as soon as it and every bucket before it in the launch order are final), and
///   finish() before the optimizer step, which launches what is left (parameters without a
///   gradient this step) and waits.
class GradientReducer {
 public:
  static constexpr size_t kDefaultBucketBytes = size_t{25} << 20;

  explicit GradientReducer(Communicator& comm, size_t bucket_bytes = kDefaultBucketBytes);
  ~GradientReducer();

  /// In place: flat_grad = (sum over ranks of flat_grad) / global_meta_batch. flat_grad must be
  /// contiguous, f32 or f64, on the parameters' device: the communicator moves it in place when
  /// it works on that memory (host for MPI, its CUDA device for NCCL), else through one host copy
  /// each way (a device tensor and MPI) — except on a single rank, where only the division runs,
  /// on the tensor's device, and no bucket moves; NCCL with a tensor off its device is a DistError. The
  /// element count is checked across ranks first
  /// (DistError on every rank when it differs). global_meta_batch must be >= 1.
  void reduce(const Tensor& flat_grad, int64_t global_meta_batch);
  void reduce(std::span<float> flat_grad, int64_t global_meta_batch);
  void reduce(std::span<double> flat_grad, int64_t global_meta_batch);

  /// Begins an overlapped reduction of `flat_grad` (checks as reduce(); the count check is the
  /// one collective here). The buffer's elements are all pending. A buffer the communicator
  /// does not move in place (a device tensor and MPI) is reduced by finish() as by reduce():
  /// ready() then only counts.
  void start(const Tensor& flat_grad, int64_t global_meta_batch);
  void start(std::span<float> flat_grad, int64_t global_meta_batch);
  void start(std::span<double> flat_grad, int64_t global_meta_batch);
  /// Elements [begin, end) of the buffer hold their final local gradient (each element is
  /// declared at most once per reduction): launches every bucket now due, in the launch order,
  /// and lets those in flight progress.
  void ready(size_t begin, size_t end);
  /// Launches the buckets not launched yet, waits for every one and divides it.
  void finish();
  /// Whether start() was called and finish() not yet.
  bool started() const { return flight_ != nullptr; }

  /// The buckets of a buffer of `count` elements of `element_bytes` each: [begin, end) element
  /// ranges in index order (launched in the reverse order). At least one element per bucket;
  /// none for an empty buffer.
  std::vector<std::pair<size_t, size_t>> buckets(size_t count, size_t element_bytes) const;

  size_t bucket_bytes() const { return bucket_bytes_; }
  /// Number of bucket allreduces issued so far (for tests and logs).
  int64_t allreduce_calls() const { return calls_; }
  /// Of those, the ones launched by ready(), before finish(): the buckets that overlapped.
  int64_t overlapped_calls() const { return overlapped_calls_; }
  /// Seconds spent inside reduce(), start(), ready() and finish() so far: launching, letting the
  /// collectives progress, waiting and dividing — the communication the step did not hide.
  double exposed_seconds() const { return exposed_seconds_; }

 private:
  struct Flight;
  void check_meta_batch(int64_t global_meta_batch) const;
  void start_raw(void* data, size_t count, DataType type, int64_t global_meta_batch);
  void launch_due(Flight& flight);
  void finish_raw();
  void reduce_tensor(const Tensor& flat_grad, int64_t global_meta_batch);

  Communicator& comm_;
  size_t bucket_bytes_;
  int64_t calls_ = 0;
  int64_t overlapped_calls_ = 0;
  double exposed_seconds_ = 0.0;
  std::unique_ptr<Flight> flight_;
};

/// Overwrites `flat` (the flat parameter buffer) on every rank with rank 0's values, so all
/// ranks start from the same initial parameters (memory as for GradientReducer::reduce; a device
/// tensor on a single rank with a host communicator is left alone, never copied). Checks the
/// element count across ranks.
void broadcast_parameters(Communicator& comm, const Tensor& flat);

}  // namespace cz::dist
