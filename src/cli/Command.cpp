// Command.cpp — the subcommand registry and parse_options (Boost.Program_options + INI files).
#include "cli/Command.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>

namespace po = boost::program_options;

namespace cz::cli {
namespace {

// Function-local static: registrars in other translation units may run before this file's
// globals are initialised.
std::map<std::string, CommandInfo>& registry() {
  static std::map<std::string, CommandInfo> commands;
  return commands;
}

void print_help(std::ostream& out, const std::string& command, const po::options_description& all,
                const po::positional_options_description* positional) {
  out << "usage: cezanne " << command << " [options]";
  if (positional != nullptr) {
    const unsigned n = positional->max_total_count();
    std::string last;
    for (unsigned i = 0; i < n && i < 8; ++i) {
      const std::string& name = positional->name_for_position(i);
      if (name == last) continue;
      last = name;
      out << " [" << name << "]";
    }
    if (n == std::numeric_limits<unsigned>::max()) out << "...";
  }
  out << "\n"
      << all << "\n"
      << "Every option can also be set in the --config INI file (`name = value`); the command\n"
      << "line wins over the file.\n";
}

// Reads the INI file into `vm` (after the command line, so the command line wins).
void store_config_file(const std::string& path, const po::options_description& all,
                       po::variables_map& vm) {
  std::ifstream in(path);
  if (!in) throw UsageError("--config " + path + ": cannot open file");
  try {
    const po::parsed_options parsed = po::parse_config_file(in, all, /*allow_unregistered=*/true);
    for (const po::option& opt : parsed.options) {
      if (opt.unregistered) {
        throw UsageError("--config " + path + ": unknown key '" + opt.string_key + "'");
      }
      if (opt.string_key == "config" || opt.string_key == "help") {
        throw UsageError("--config " + path + ": key '" + opt.string_key +
                         "' is only allowed on the command line");
      }
    }
    po::store(parsed, vm);
  } catch (const po::error& e) {
    throw UsageError("--config " + path + ": " + e.what());
  }
}

}  // namespace

CommandRegistrar::CommandRegistrar(const char* name, const char* summary, CommandFn fn) {
  auto [it, inserted] = registry().emplace(name, CommandInfo{name, summary, fn});
  if (!inserted) {
    // Two files registering one name is a build mistake; say so before main() runs.
    std::cerr << "cezanne: command '" << name << "' is registered twice\n";
    std::abort();
  }
}

std::vector<CommandInfo> registered_commands() {
  std::vector<CommandInfo> out;
  for (const auto& [name, info] : registry()) out.push_back(info);
  return out;
}

const CommandInfo* find_command(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

bool parse_options(int argc, char** argv, const std::string& command,
                   po::options_description& options,
                   const po::positional_options_description* positional, po::variables_map& vm) {
  po::options_description common("Common options");
  common.add_options()("help,h", "print this help and exit")(
      "config", po::value<std::string>()->value_name("FILE"),
      "read options from an INI file (command line wins)");
  po::options_description all;
  all.add(options).add(common);

  try {
    po::command_line_parser parser(argc, argv);  // skips argv[0], the command name
    parser.options(all);
    if (positional != nullptr) parser.positional(*positional);
    po::store(parser.run(), vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }

  if (vm.count("help") != 0) {
    print_help(std::cout, command, all, positional);
    return false;
  }
  if (vm.count("config") != 0) {
    store_config_file(vm["config"].as<std::string>(), all, vm);
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return true;
}

}  // namespace cz::cli
