// main.cpp — `cezanne <command> [options]`: finds the registered subcommand and runs it.
//
// Errors end as one line on stderr: "cezanne <cmd>: <message>" (usage, exit 2) or
// "cezanne <cmd>: error: <what>" (anything else, exit 1). Under MPI every rank is then aborted
// so that no rank waits forever in a collective for the one that failed.
#include <algorithm>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cezanne/BuildInfo.hpp"
#include "cezanne/dist/Bootstrap.hpp"
#include "cli/Command.hpp"

namespace {

// Messages must stay on one line: log scrapers and tests read stderr line by line.
std::string one_line(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if ((c >= 0 && c < 0x20) || c == 0x7f) c = '?';  // e.g. a line of a binary --config file
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  return message;
}

void print_commands(std::ostream& out, const std::string& prefix) {
  std::size_t width = 0;
  const auto commands = cz::cli::registered_commands();
  for (const auto& c : commands) {
    if (c.name.rfind(prefix, 0) == 0) width = std::max(width, c.name.size());
  }
  for (const auto& c : commands) {
    if (c.name.rfind(prefix, 0) != 0) continue;
    out << "  " << c.name << std::string(width - c.name.size() + 3, ' ') << c.summary << "\n";
  }
}

void print_usage(std::ostream& out) {
  out << "cezanne " << cz::build_info::kVersion
      << " — multi-task, transfer and meta-learning across MPI ranks and GPUs\n\n"
      << "usage: cezanne <command> [options]\n"
      << "       cezanne <command> --help     options of one command\n"
      << "       cezanne --version            versions of cezanne and its libraries\n\n"
      << "commands:\n";
  print_commands(out, "");
}

bool has_group(const std::string& group) {
  const std::string prefix = group + " ";
  for (const auto& c : cz::cli::registered_commands()) {
    if (c.name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

bool is_help(const char* arg) {
  return std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0 ||
         std::strcmp(arg, "help") == 0;
}

// Under mpirun a failing rank must take the others down; outside MPI this does nothing.
void abort_other_ranks(int status) {
  std::cerr.flush();
  cz::dist::abort_world(status);
}

int run(const cz::cli::CommandInfo& command, int skip, int argc, char** argv) {
  // argv for the command: its full name, then the remaining arguments.
  std::string name = command.name;
  std::vector<char*> args;
  args.push_back(name.data());
  for (int i = skip; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  int status = 0;
  try {
    status = command.fn(static_cast<int>(args.size()) - 1, args.data());
  } catch (const cz::cli::UsageError& e) {
    // One write per line, so the lines of several ranks sharing a terminal do not interleave.
    std::cerr << ("cezanne " + command.name + ": " + one_line(e.what()) + "\n") << std::flush;
    status = 2;
  } catch (const std::exception& e) {
    std::cerr << ("cezanne " + command.name + ": error: " + one_line(e.what()) + "\n") << std::flush;
    status = 1;
  }
  if (status != 0) abort_other_ranks(status);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || is_help(argv[1])) {
    print_usage(std::cout);
    return 0;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    if (const auto* info = cz::cli::find_command("info")) return run(*info, 1, 2, argv);
    std::cout << "cezanne " << cz::build_info::kVersion << "\n";
    return 0;
  }

  // Two-word commands first ("bench sampler"), then one word.
  if (argc >= 3) {
    const std::string two = std::string(argv[1]) + " " + argv[2];
    if (const auto* command = cz::cli::find_command(two)) return run(*command, 3, argc, argv);
  }
  if (const auto* command = cz::cli::find_command(argv[1])) return run(*command, 2, argc, argv);

  const std::string group = argv[1];
  if (has_group(group)) {
    if (argc == 2 || is_help(argv[2])) {
      std::cout << "usage: cezanne " << group << " <command> [options]\n\n"
                << group << " commands:\n";
      print_commands(std::cout, group + " ");
      return 0;
    }
    std::cerr << "cezanne " << group << ": unknown command '" << argv[2] << "' (see cezanne "
              << group << " --help)" << std::endl;
    return 2;
  }
  std::cerr << "cezanne: unknown command '" << group << "' (see cezanne --help)" << std::endl;
  return 2;
}
