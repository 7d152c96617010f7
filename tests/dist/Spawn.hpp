// Runs a command line in its own process group with a hard deadline, capturing its output.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace cz::dist::test {

struct SpawnResult {
  int status = -1;         // exit status, or 128 + signal
  bool killed = false;     // hit the deadline and was killed
  double seconds = 0.0;    // wall time until exit
  std::string output;      // stdout and stderr together
};

inline std::string cezanne_binary() {
  if (const char* env = std::getenv("CEZANNE_BINARY")) return env;
#ifdef CEZANNE_TEST_BINARY
  return CEZANNE_TEST_BINARY;
#else
  return "cezanne";
#endif
}

/// mpirun as ctest runs the MPI tests (root allowed, oversubscribed, no single-copy transport).
inline std::vector<std::string> mpirun(int np) {
  return {"mpirun", "--allow-run-as-root", "--oversubscribe", "--mca", "btl_vader_single_copy_mechanism", "none",
          "-np", std::to_string(np)};
}

/// Forks and execs argv in a process group of its own, stdout and stderr on `out_fd` (closed in
/// the parent); returns the pid. The child exits 127 when argv[0] cannot be run.
inline pid_t start_in_own_group(const std::vector<std::string>& argv, int out_fd) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    close(out_fd);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  setpgid(pid, pid);
  close(out_fd);
  return pid;
}

/// Runs argv; after `deadline_s` kills the whole process group (SIGKILL), so a hung job can
/// never hang the test.
inline SpawnResult spawn(const std::vector<std::string>& argv, double deadline_s) {
  SpawnResult result;
  int fds[2];
  if (pipe(fds) != 0) return result;
  const auto start = std::chrono::steady_clock::now();
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);  // the child keeps only the write end
  const pid_t pid = start_in_own_group(argv, fds[1]);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  char buffer[4096];
  for (;;) {
    const double left = deadline_s - elapsed();
    if (left <= 0) {
      kill(-pid, SIGKILL);
      result.killed = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min(left, 0.2) * 1000) + 1) > 0) {
      const ssize_t n = read(fds[0], buffer, sizeof buffer);
      if (n > 0) {
        result.output.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) break;  // every writer closed: the job is over
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.seconds = elapsed();
  if (!result.killed) kill(-pid, SIGKILL);  // stray orted children, if any, of this group only
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace cz::dist::test
