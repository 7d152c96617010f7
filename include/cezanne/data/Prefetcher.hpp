// Background threads that keep the next steps' episode batches ready.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cezanne/data/EpisodeSource.hpp"

namespace cz::data {

/// Samples the batches of steps first_step, first_step+1, ... on `threads` worker threads, at
/// most `depth` steps ahead of the consumer. Batches are pure functions of the step, so the
/// result does not depend on the number of threads or their timing.
class Prefetcher {
 public:
  /// `task_indices`: the global task indices this rank draws at every step (owned_tasks()).
  /// Throws std::invalid_argument when depth < 1 or threads < 1.
  Prefetcher(std::shared_ptr<const EpisodeSource> source, std::vector<int64_t> task_indices,
             int64_t first_step, int depth = 2, int threads = 1);
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;
  /// Stops the workers and joins them, also while they wait for room in a full queue.
  ~Prefetcher();

  /// The batch of the next step, in step order; blocks until it is ready. If sampling that step
  /// threw, rethrows the exception (and again on every later call).
  EpisodeBatch next();
  /// The step the next call to next() returns.
  int64_t next_step() const;

 private:
  struct Slot {
    EpisodeBatch batch;
    std::exception_ptr error;
  };
  void work();

  std::shared_ptr<const EpisodeSource> source_;
  std::vector<int64_t> task_indices_;
  int depth_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;  // a slot was filled (consumer waits)
  std::condition_variable room_;   // the consumer took a slot or stop (workers wait)
  std::map<int64_t, Slot> slots_;  // finished steps not yet consumed
  int64_t next_claim_;             // next step a worker will sample
  int64_t next_consume_;           // next step next() returns
  bool stop_ = false;
  bool failed_ = false;  // a worker threw: no new steps are claimed
  std::vector<std::thread> workers_;
};

}  // namespace cz::data
