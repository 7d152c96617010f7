// Rank-aware logging.
#include "cezanne/dist/Log.hpp"

#include <iostream>

namespace cz::dist {

std::string with_rank(int rank, const std::string& message) { return "rank " + std::to_string(rank) + ": " + message; }

void log(const Communicator& comm, const std::string& message) {
  if (comm.rank() == 0) std::cout << message << std::endl;
}

void error(const Communicator& comm, const std::string& message) {
  // One write per line, so lines of different ranks do not interleave mid-line.
  const std::string line = "cezanne: " + with_rank(comm.rank(), message) + "\n";
  std::cerr << line << std::flush;
}

}  // namespace cz::dist
