// Command.hpp — registry of `cezanne` subcommands and the shared option parsing.
//
// A subcommand is one file in src/cli/ that defines a function and registers it:
//
//   namespace {
//   int run_prepare(int argc, char** argv) {
//     namespace po = boost::program_options;
//     po::options_description options("prepare options");
//     options.add_options()("out", po::value<std::string>()->required(), "store directory");
//     po::variables_map vm;
//     if (!cz::cli::parse_options(argc, argv, "prepare", options, nullptr, vm)) return 0;
//     ...
//     return 0;
//   }
//   const cz::cli::CommandRegistrar kPrepare("prepare", "build a store from a source",
//   run_prepare); }  // namespace
//
// Names may have two words ("bench sampler"): `cezanne bench sampler --iters 10` runs it, and
// `cezanne bench --help` lists every "bench ..." command.
#pragma once

#include <boost/program_options.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "cezanne/train/TrainConfig.hpp"

namespace cz::cli {

/// A subcommand. argv[0] is the command name (e.g. "prepare", "bench sampler"), argv[1..]
/// its options; argv[argc] is nullptr. Returns the process exit status.
using CommandFn = int (*)(int argc, char** argv);

/// Registers a subcommand at static-initialisation time (define one at namespace scope).
struct CommandRegistrar {
  CommandRegistrar(const char* name, const char* summary, CommandFn fn);
};

/// A bad command line or config file. `cezanne` prints "cezanne <cmd>: <message>" on one line
/// and exits with status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parses argv[1..argc) into `vm` with Boost.Program_options.
///
/// Adds --help/-h and --config FILE to `options`. FILE is an INI file with the same keys as the
/// long options (`steps = 10`, or `[section]` + `key` for options named "section.key"); values
/// on the command line win over the file, but every value of the file is parsed and checked
/// (a bad one is an error even where the command line sets the key). Words that are not options
/// go to `positional` (nullptr: none is accepted). Runs po::notify (so required options and
/// notifiers apply). Returns false after printing help to stdout when --help was given. Throws
/// UsageError on an unknown option, a bad value, a missing required option, a word that no
/// positional option takes ("unexpected argument 'WORD'"), a config file that is a directory or
/// cannot be read, or an unknown key or bad value in the config file (the message names the
/// file and the key).
bool parse_options(int argc, char** argv, const std::string& command,
                   boost::program_options::options_description& options,
                   const boost::program_options::positional_options_description* positional,
                   boost::program_options::variables_map& vm);

/// The value of a numeric option: every integer and floating-point option of every subcommand
/// uses one of these instead of po::value<T>(). The text is parsed strictly (decimal digits
/// after an optional '-'; a double also a fraction and an exponent; nothing else) and checked
/// against the bounds while the command line or the --config file is parsed, before anything
/// else runs, so nothing wraps: "-1" is not 2^64 - 1 and 2^32 + 1 is not 1. A bad value is a
/// UsageError "--<name>: must be in [low, high], got <text>" ("must be an integer in ..." or
/// "must be a number in ..." for text that is none); from the config file "--config FILE:
/// <key>: must be in ...". T is int, int64_t, uint64_t or double.
template <class T>
boost::program_options::typed_value<T>* bounded(T low, T high, T* store = nullptr);

/// The same with bounds of the option table (train::option_bounds): T is int, int64_t or double
/// (integer bounds are integral; a double's may exclude `low`).
template <class T>
boost::program_options::typed_value<T>* bounded(const train::Bounds& bounds, T* store = nullptr);

/// Every uint64 value (seeds): bounded<uint64_t>(0, 2^64 - 1), so "-1" is refused.
boost::program_options::typed_value<uint64_t>* unsigned_value(uint64_t* store = nullptr);

/// The option `o` of `cezanne train` as train's command line has it (its help, TrainConfig{}'s
/// default, train::option_bounds), for train and for the commands that take some of its options
/// (bench step: an unlabelled objective's own).
void add_train_option(boost::program_options::options_description& options, const train::TrainOption& o);

/// Copies option `o` from `vm` into `config` when `vm` holds it (added by add_train_option).
void set_train_option(train::TrainConfig& config, const boost::program_options::variables_map& vm,
                      const train::TrainOption& o);

/// One registered subcommand.
struct CommandInfo {
  std::string name;
  std::string summary;
  CommandFn fn = nullptr;
};

/// Every registered subcommand, sorted by name.
std::vector<CommandInfo> registered_commands();

/// The subcommand called `name`, or nullptr.
const CommandInfo* find_command(const std::string& name);

}  // namespace cz::cli
