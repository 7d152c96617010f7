// The fused meta-gradient allreduce: one flat buffer, fixed buckets, sum then divide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cezanne/dist/Communicator.hpp"
#include "cezanne/tensor/Tensor.hpp"

namespace cz::dist {

/// Averages the flat gradient buffer of a parameter set over the global meta-batch.
///
/// Called once per meta-step, after the outer backward, on the flat gradient (nn::Params::
/// flat_grad()): never from a gradient hook, so inner-loop gradients stay on their rank and
/// communication never enters the autograd graph. The buffer is cut into buckets of
/// `bucket_bytes` in index order — the same cut on every rank, whatever the timing — and each
/// bucket is summed over ranks, then divided by the global meta-batch (the number of tasks over
/// all ranks, which need not be a multiple of the number of ranks).
class GradientReducer {
 public:
  static constexpr size_t kDefaultBucketBytes = size_t{25} << 20;

  explicit GradientReducer(Communicator& comm, size_t bucket_bytes = kDefaultBucketBytes);

  /// In place: flat_grad = (sum over ranks of flat_grad) / global_meta_batch. flat_grad must be
  /// contiguous, f32 or f64, on the parameters' device: the communicator moves it in place when
  /// it works on that memory (host for MPI, its CUDA device for NCCL), else through one host copy
  /// each way (a device tensor and MPI); NCCL with a tensor off its device is a DistError. The
  /// element count is checked across ranks first
  /// (DistError on every rank when it differs). global_meta_batch must be >= 1.
  void reduce(const Tensor& flat_grad, int64_t global_meta_batch);
  void reduce(std::span<float> flat_grad, int64_t global_meta_batch);
  void reduce(std::span<double> flat_grad, int64_t global_meta_batch);

  /// The buckets of a buffer of `count` elements of `element_bytes` each: [begin, end) element
  /// ranges in order. At least one element per bucket; none for an empty buffer.
  std::vector<std::pair<size_t, size_t>> buckets(size_t count, size_t element_bytes) const;

  size_t bucket_bytes() const { return bucket_bytes_; }
  /// Number of bucket allreduces issued so far (for tests and logs).
  int64_t allreduce_calls() const { return calls_; }

 private:
  void reduce_raw(void* data, size_t count, DataType type, int64_t global_meta_batch);

  Communicator& comm_;
  size_t bucket_bytes_;
  int64_t calls_ = 0;
};

/// Overwrites `flat` (the flat parameter buffer) on every rank with rank 0's values, so all
/// ranks start from the same initial parameters (memory as for GradientReducer::reduce).
/// Checks the element count across ranks.
void broadcast_parameters(Communicator& comm, const Tensor& flat);

}  // namespace cz::dist
