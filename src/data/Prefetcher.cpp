// Worker threads sampling the next steps' batches ahead of the training loop.
#include "cezanne/data/Prefetcher.hpp"

#include <stdexcept>
#include <string>
#include <utility>

#include "cezanne/backend/Backend.hpp"

namespace cz::data {

Prefetcher::Prefetcher(std::shared_ptr<const EpisodeSource> source,
                       std::vector<int64_t> task_indices, int64_t first_step, int depth,
                       int threads)
    : source_(std::move(source)),
      task_indices_(std::move(task_indices)),
      depth_(depth),
      next_claim_(first_step),
      next_consume_(first_step) {
  if (!source_) throw std::invalid_argument("Prefetcher: no episode source");
  if (depth < 1 || threads < 1)
    throw std::invalid_argument("Prefetcher: depth and threads must be >= 1, got depth " +
                                std::to_string(depth) + ", threads " + std::to_string(threads));
  workers_.reserve(static_cast<size_t>(threads));
  try {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    room_.notify_all();
    for (auto& w : workers_) w.join();
    throw;
  }
}

Prefetcher::~Prefetcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  room_.notify_all();
  ready_.notify_all();
  for (auto& w : workers_) w.join();
}

void Prefetcher::work() {
  // Sampling is the compute threads' shadow: a kernel it calls (random images, a cat) must not
  // start an OpenMP team of its own, which slowed the step it overlaps by 15% on 2 cores.
  run_kernels_on_this_thread_only();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    // A step may be claimed while it is fewer than `depth` steps ahead of the consumer.
    room_.wait(lock, [&] { return stop_ || (!failed_ && next_claim_ < next_consume_ + depth_); });
    if (stop_) return;
    const int64_t step = next_claim_++;
    lock.unlock();
    Slot slot;
    try {
      slot.batch = source_->sample_batch(step, task_indices_);
    } catch (...) {
      slot.error = std::current_exception();
    }
    lock.lock();
    if (slot.error) failed_ = true;
    slots_.emplace(step, std::move(slot));
    ready_.notify_all();
  }
}

EpisodeBatch Prefetcher::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait(lock, [&] { return slots_.count(next_consume_) > 0; });
  auto it = slots_.find(next_consume_);
  if (it->second.error)
    std::rethrow_exception(it->second.error);  // the step stays: later calls rethrow too
  EpisodeBatch batch = std::move(it->second.batch);
  slots_.erase(it);
  ++next_consume_;
  lock.unlock();
  room_.notify_all();
  return batch;
}

int64_t Prefetcher::next_step() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_consume_;
}

}  // namespace cz::data
