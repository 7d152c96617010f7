// StepReducer: a step's gradient allreduce, blocking or overlapped with its last backward pass.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cezanne/dist/GradientReducer.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/train/Step.hpp"

namespace cz::train {

/// Leaves in params.flat_grad() the gradient summed over ranks and divided by the global
/// meta-batch (dist::GradientReducer, buckets of `bucket_bytes`).
///
/// Blocking (overlap off): reduce() after backward moves every bucket. Overlapped: a step calls
/// before_last_backward() just before the backward that makes its gradients final (the last pass
/// of --tasks-per-pass; earlier passes only accumulate), which starts the reduction and sets
/// every parameter's accumulated hook (Var::set_accumulated_hook) to declare its slice of the
/// flat gradient ready; the engine runs a leaf's hook once the last op using it has run its
/// backward — also through a second-order inner loop — so the buckets of the layers near the
/// outputs travel while backward still works on the layers below. reduce() then waits, before
/// the optimizer step. Both give bitwise the same gradient (see GradientReducer).
///
/// A loss whose graph holds a collective (learn::allgather) must not be overlapped: its
/// backward's collective would interleave with the bucket launches in an order that may differ
/// between ranks, and MPI needs one order. No step of cezanne's has one today.
class StepReducer {
 public:
  StepReducer(dist::Communicator& comm, nn::Params& params, int64_t global_meta_batch, bool overlap,
              size_t bucket_bytes);
  ~StepReducer();
  StepReducer(const StepReducer&) = delete;
  StepReducer& operator=(const StepReducer&) = delete;

  /// Overlap on: starts the reduction and arms the hooks. Off: nothing.
  void before_last_backward();
  /// After backward, before the optimizer: completes the reduction (blocking: all of it; a rank
  /// that ran no backward this step moves its zero gradient the same way) and disarms the hooks.
  void reduce();

  bool overlap() const { return overlap_; }
  const dist::GradientReducer& reducer() const { return reducer_; }
  ReductionStats stats() const {
    return {reducer_.exposed_seconds(), reducer_.allreduce_calls(), reducer_.overlapped_calls()};
  }

 private:
  void disarm();

  nn::Params& params_;
  const int64_t global_meta_batch_;
  const bool overlap_;
  dist::GradientReducer reducer_;
  bool armed_ = false;
};

}  // namespace cz::train
