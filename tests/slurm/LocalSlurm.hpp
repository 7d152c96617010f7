// Starts the single-node Slurm of tests/slurm/local-slurm.sh once per test program.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "dist/Spawn.hpp"

namespace cz::slurm::test {

inline std::string source_dir() {
  if (const char* env = std::getenv("CEZANNE_SOURCE_DIR")) return env;
#ifdef CEZANNE_TEST_SOURCE_DIR
  return CEZANNE_TEST_SOURCE_DIR;
#else
  return ".";
#endif
}

inline bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  return access(("/usr/sbin/" + name).c_str(), X_OK) == 0;
}

/// Whether the local Slurm is up: `skip` says why it cannot be started here (not installed,
/// not root), `failure` what went wrong starting it. Starts it on the first call.
struct LocalSlurm {
  std::string skip, failure;

  static const LocalSlurm& get() {
    static const LocalSlurm slurm = start();
    return slurm;
  }

 private:
  static LocalSlurm start() {
    LocalSlurm s;
    if (!on_path("slurmctld") || !on_path("slurmd") || !on_path("srun")) {
      s.skip = "Slurm is not installed (slurmctld/slurmd/srun; apt-get install slurm-wlm munge)";
    } else if (geteuid() != 0) {
      s.skip = "starting the local Slurm needs root (tests/slurm/local-slurm.sh)";
    } else {
      const auto script = std::filesystem::path(source_dir()) / "tests/slurm/local-slurm.sh";
      const dist::test::SpawnResult up =
          dist::test::spawn({"timeout", "-k", "10", "150", "bash", script.string()}, 180.0);
      if (up.status != 0 || up.killed)
        s.failure = script.string() + " exited with " + std::to_string(up.status) +
                    (up.killed ? " (killed)" : "") + ":\n" + up.output;
    }
    return s;
  }
};

}  // namespace cz::slurm::test
