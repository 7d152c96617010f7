// The TF32 setting: one flag that every CUDA backend reads when it launches an f32 GEMM.
#include "cezanne/backend/Tf32.hpp"

#include <atomic>

namespace cz {

namespace {

// Atomic: set once by the CLI's thread, read by every thread that launches kernels.
std::atomic<bool> tf32_allowed{false};

}  // namespace

void set_tf32(bool allowed) { tf32_allowed.store(allowed, std::memory_order_relaxed); }

bool tf32() { return tf32_allowed.load(std::memory_order_relaxed); }

}  // namespace cz
