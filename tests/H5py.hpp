// The python3 that can import h5py, for tests that read cezanne's HDF5 files as users do.
#pragma once

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

}  // namespace cz::testing
