// Rank-aware logging: progress from rank 0 only, errors from any rank with its number.
#pragma once

#include <string>

#include "cezanne/dist/Communicator.hpp"

namespace cz::dist {

/// Writes `message` and a newline to stdout on rank 0; nothing on other ranks.
void log(const Communicator& comm, const std::string& message);

/// Writes "cezanne: rank R: <message>" and a newline to stderr, on whichever rank calls it.
void error(const Communicator& comm, const std::string& message);

/// "rank R: <message>" (the prefix every distributed error message carries).
std::string with_rank(int rank, const std::string& message);

}  // namespace cz::dist
