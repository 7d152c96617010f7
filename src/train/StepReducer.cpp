// StepReducer: the leaves' accumulated hooks feed the gradient reducer during backward.
#include "cezanne/train/StepReducer.hpp"

namespace cz::train {

StepReducer::StepReducer(dist::Communicator& comm, nn::Params& params, int64_t global_meta_batch, bool overlap,
                         size_t bucket_bytes)
    : params_(params), global_meta_batch_(global_meta_batch), overlap_(overlap), reducer_(comm, bucket_bytes) {}

StepReducer::~StepReducer() { disarm(); }

void StepReducer::before_last_backward() {
  if (!overlap_) return;
  reducer_.start(params_.flat_grad(), global_meta_batch_);
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto begin = static_cast<size_t>(params_.offset(i));
    const auto end = begin + static_cast<size_t>(params_.numel(i));
    Var(params_[i]).set_accumulated_hook([this, begin, end] { reducer_.ready(begin, end); });
  }
  armed_ = true;
}

void StepReducer::reduce() {
  disarm();
  // Blocking, or a rank that owned no task this step and so never reached a backward: all
  // buckets now, the same collectives in the same order as the ranks that overlapped.
  if (!reducer_.started()) {
    reducer_.reduce(params_.flat_grad(), global_meta_batch_);
    return;
  }
  reducer_.finish();
}

void StepReducer::disarm() {
  if (!armed_) return;
  for (size_t i = 0; i < params_.size(); ++i) Var(params_[i]).set_accumulated_hook({});
  armed_ = false;
}

}  // namespace cz::train
