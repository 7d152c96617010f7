// Communicator base: checked helpers and the collective watchdog shared by every backend.
#include "cezanne/dist/Communicator.hpp"

#include <chrono>
#include <cmath>
#include <sstream>

#include "cezanne/dist/Log.hpp"

namespace cz::dist {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <class T>
void divide_host(T* data, size_t count, double divisor) {
  const T d = static_cast<T>(divisor);
  for (size_t i = 0; i < count; ++i) data[i] /= d;
}

// What a blocking collective leaves behind: nothing to wait for.
class Completed final : public PendingCollective {
 public:
  void wait() override {}
  bool test() override { return true; }
};

}  // namespace

const char* data_type_name(DataType t) {
  switch (t) {
    case DataType::f32: return "f32";
    case DataType::f64: return "f64";
    case DataType::i32: return "i32";
    case DataType::i64: return "i64";
    case DataType::u8: return "u8";
  }
  return "?";
}

Communicator::~Communicator() { stop_watchdog(); }

std::unique_ptr<PendingCollective> Communicator::start_allreduce(void* data, size_t count, DataType type,
                                                                 ReduceOp op) {
  allreduce(data, count, type, op);
  return std::make_unique<Completed>();
}

void Communicator::divide(void* data, size_t count, DataType type, double divisor) {
  switch (type) {
    case DataType::f32: divide_host(static_cast<float*>(data), count, divisor); return;
    case DataType::f64: divide_host(static_cast<double*>(data), count, divisor); return;
    default: throw DistError(with_rank(rank(), std::string("divide: not a floating type: ") + data_type_name(type)));
  }
}

void Communicator::check_same_count(size_t count, const char* what) {
  // min of (n, -n) gives the minimum and minus the maximum in one collective.
  int64_t v[2] = {static_cast<int64_t>(count), -static_cast<int64_t>(count)};
  allreduce(v, 2, DataType::i64, ReduceOp::min);
  if (v[0] != -v[1]) {
    std::ostringstream message;
    message << what << ": buffer size differs across ranks (min " << v[0] << ", max " << -v[1] << "; this rank "
            << count << ")";
    throw DistError(with_rank(rank(), message.str()));
  }
}

std::vector<size_t> Communicator::allgather_counts(size_t count) {
  const int64_t mine = static_cast<int64_t>(count);
  std::vector<int64_t> all(static_cast<size_t>(size()));
  allgather(&mine, 1, all.data(), DataType::i64);
  return {all.begin(), all.end()};
}

void Communicator::set_watchdog_seconds(double seconds) {
  if (!(seconds >= 0.0) || std::isinf(seconds)) seconds = 0.0;
  watchdog_seconds_.store(seconds);
  std::lock_guard<std::mutex> lock(mutex_);
  if (seconds > 0.0 && !watchdog_.joinable() && !stopping_) watchdog_ = std::thread([this] { watchdog_loop(); });
  wake_.notify_all();
}

void Communicator::stop_watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (watchdog_.joinable() && watchdog_.get_id() != std::this_thread::get_id()) watchdog_.join();
}

void Communicator::watchdog_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  // The collective being timed (its name and start) and the seconds this process has run while
  // blocked in it. Time is added poll by poll, each gap counted as at most kMaxGap: when this
  // whole process was stopped (SIGSTOP, `scontrol suspend`, a frozen VM), the time it spent
  // stopped is not blocking, and counting it would abort every rank right after a resume.
  constexpr double kMaxGap = 1.0;
  const char* watched = nullptr;
  int64_t watched_start = 0, last_poll = now_ns();
  double blocked = 0.0;
  while (!stopping_) {
    const double limit = watchdog_seconds_.load();
    // Poll at a tenth of the limit (at least every 0.5 s): the abort comes within ~10% late.
    const double poll = limit > 0.0 ? std::min(0.5, std::max(0.01, limit / 10.0)) : 0.5;
    wake_.wait_for(lock, std::chrono::duration<double>(poll));
    const int64_t now = now_ns();
    const double gap = std::min(kMaxGap, static_cast<double>(now - last_poll) * 1e-9);
    last_poll = now;
    if (stopping_ || limit <= 0.0) continue;
    const char* name = current_.load(std::memory_order_acquire);
    const int64_t started = started_ns_.load(std::memory_order_acquire);
    if (name == nullptr) {
      watched = nullptr;
      continue;
    }
    if (name != watched || started != watched_start) {
      watched = name;
      watched_start = started;
      blocked = std::min(kMaxGap, static_cast<double>(now - started) * 1e-9);
    } else {
      blocked += gap;
    }
    if (blocked > limit && current_.load(std::memory_order_acquire) == name) {
      std::ostringstream message;
      message << "collective " << name << " blocked for " << static_cast<int64_t>(blocked)
              << " s (watchdog limit " << limit << " s; another rank failed, hangs or never reached it)";
      lock.unlock();
      abort(message.str());
    }
  }
}

Communicator::Scope::Scope(Communicator& comm, const char* name) : comm_(comm) {
  comm_.started_ns_.store(now_ns(), std::memory_order_release);
  comm_.current_.store(name, std::memory_order_release);
}

Communicator::Scope::~Scope() { comm_.current_.store(nullptr, std::memory_order_release); }

}  // namespace cz::dist
