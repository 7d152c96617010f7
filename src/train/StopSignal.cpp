// Signal handlers that record a stop request for the trainer to act on between steps.
#include "cezanne/train/StopSignal.hpp"

#include <csignal>

#include <atomic>

namespace cz::train {

namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler needs a lock-free flag");

extern "C" void record_stop(int signal) {
  int none = 0;
  g_signal.compare_exchange_strong(none, signal);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = record_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int stop_signal() { return g_signal.load(); }

void clear_stop_signal() { g_signal.store(0); }

}  // namespace cz::train
