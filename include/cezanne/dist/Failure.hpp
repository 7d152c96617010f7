// Failure semantics across ranks: one failing rank ends all of them, one decision for all.
#pragma once

#include <functional>

#include "cezanne/dist/Communicator.hpp"

namespace cz::dist {

/// Runs `body` and returns its status. An exception escaping it is printed as
/// "cezanne: rank R: <what>" and ends every rank: Communicator::abort when size() > 1 (no rank
/// is left waiting in a collective); with one rank it returns 1 instead, so destructors run.
int run_guarded(Communicator& comm, const std::function<int()>& body);

/// True on every rank iff `local_ok` is true on every rank (an allreduce MIN of one flag):
/// the agreed decision for a non-finite loss or gradient (skip the step, stop, ...).
bool all_finite(Communicator& comm, bool local_ok);

/// True when every element of data is finite (a helper for the `local_ok` of all_finite).
bool is_finite(const float* data, size_t count);
bool is_finite(const double* data, size_t count);

}  // namespace cz::dist
