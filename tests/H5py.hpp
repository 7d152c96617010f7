// The python3 that can import h5py, for tests that read cezanne's HDF5 files as users do.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace cz::testing {

/// Debian's python3-h5py lives under /usr/bin/python3, which a pyenv shim may shadow on PATH.
/// Returns the first of /usr/bin/python3 and python3 that imports h5py, or "" for none.
inline std::string python_with_h5py() {
  for (const char* candidate : {"/usr/bin/python3", "python3"})
    if (std::system((std::string(candidate) + " -c 'import h5py' >/dev/null 2>&1").c_str()) == 0)
      return candidate;
  return "";
}

/// Runs a shell command and returns its exit status (popen/pclose); stdout goes to `output`.
inline int run_capturing(const std::string& command, std::string& output) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  return pclose(pipe);
}

}  // namespace cz::testing
