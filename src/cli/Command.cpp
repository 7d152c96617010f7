// Command.cpp — the subcommand registry and parse_options (Boost.Program_options + INI files).
#include "cli/Command.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <type_traits>
#include <variant>

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
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw UsageError("--config " + path + ": is a directory, not an INI file");
  std::ifstream in(path);
  if (!in) throw UsageError("--config " + path + ": cannot open file: " + std::strerror(errno));
  try {
    const po::parsed_options parsed = po::parse_config_file(in, all, /*allow_unregistered=*/true);
    if (in.bad()) throw UsageError("--config " + path + ": cannot read file");
    for (const po::option& opt : parsed.options) {
      if (opt.unregistered) {
        throw UsageError("--config " + path + ": unknown key '" + opt.string_key + "'");
      }
      if (opt.string_key == "config" || opt.string_key == "help") {
        throw UsageError("--config " + path + ": key '" + opt.string_key +
                         "' is only allowed on the command line");
      }
    }
    // Every value of the file is parsed and checked, also those the command line overrides
    // (storing into `vm` skips them).
    po::variables_map file_only;
    po::store(parsed, file_only);
    po::store(parsed, vm);
  } catch (const po::error& e) {
    throw UsageError("--config " + path + ": " + e.what());
  }
}

// Words that are not options, in order, become the positional options (Boost would silently
// drop them without a positional description).
void name_positionals(po::parsed_options& parsed,
                      const po::positional_options_description* positional) {
  unsigned position = 0;
  for (po::option& o : parsed.options) {
    if (!o.string_key.empty()) continue;
    const std::string word = o.value.empty() ? std::string() : o.value.front();
    if (positional == nullptr || position >= positional->max_total_count())
      throw UsageError("unexpected argument '" + word + "'");
    o.string_key = positional->name_for_position(position++);
  }
}

template <class T>
std::string bound_text(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.15g", v);
    return buffer;
  } else {
    return std::to_string(v);
  }
}

enum class Parsed { ok, out_of_range, not_a_number };

// Strict: std::from_chars (no leading '+' or space, nothing left over); an integer written with
// digits that does not fit T, a '-' for an unsigned T, and a non-finite double are out of range.
template <class T>
Parsed parse_strict(const std::string& text, T& value) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if constexpr (std::is_unsigned_v<T>) {
    if (!text.empty() && text.front() == '-') {
      T magnitude{};
      const auto [ptr, ec] = std::from_chars(begin + 1, end, magnitude);
      return ptr == end && ec != std::errc::invalid_argument ? Parsed::out_of_range
                                                             : Parsed::not_a_number;
    }
  }
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec == std::errc::invalid_argument || ptr != end) return Parsed::not_a_number;
  if (ec == std::errc::result_out_of_range) return Parsed::out_of_range;
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) return Parsed::out_of_range;
  }
  return Parsed::ok;
}

template <class T>
class BoundedValue final : public po::typed_value<T> {
 public:
  BoundedValue(T* store, T low, T high, bool open_low, bool open_high = false)
      : po::typed_value<T>(store), low_(low), high_(high), open_low_(open_low), open_high_(open_high) {}

  void xparse(boost::any& value_store, const std::vector<std::string>& tokens) const override {
    po::validators::check_first_occurrence(value_store);
    const std::string& text = po::validators::get_single_string(tokens);
    const std::string range =
        std::string(open_low_ ? "(" : "[") + bound_text(low_) + ", " + bound_text(high_) + (open_high_ ? ")" : "]");
    T value{};
    const Parsed parsed = parse_strict(text, value);
    // Boost fills in the option's name: "--shots" on the command line, "shots" in a file.
    if (parsed == Parsed::not_a_number)
      throw po::error_with_option_name(
          "%canonical_option%: must be " +
          std::string(std::is_floating_point_v<T> ? "a number" : "an integer") + " in " + range +
          ", got '" + text + "'");
    if (parsed == Parsed::out_of_range || value < low_ || value > high_ ||
        (open_low_ && value == low_) || (open_high_ && value == high_))
      throw po::error_with_option_name("%canonical_option%: must be in " + range + ", got " + text);
    value_store = value;
  }

 private:
  T low_, high_;
  bool open_low_, open_high_;
};

}  // namespace

template <class T>
po::typed_value<T>* bounded(T low, T high, T* store) {
  return new BoundedValue<T>(store, low, high, false);
}

template <class T>
po::typed_value<T>* bounded(const train::Bounds& b, T* store) {
  return new BoundedValue<T>(store, static_cast<T>(b.low), static_cast<T>(b.high), b.open_low, b.open_high);
}

namespace {

// The value of a numeric option: strictly parsed and checked against train::option_bounds() (an
// option without bounds: any value of its type, still without wrapping).
template <class T>
po::typed_value<T>* numeric_value(const train::TrainOption& o) {
  if constexpr (std::is_same_v<T, uint64_t>) {
    return unsigned_value();
  } else {
    if (const train::Bounds* b = train::option_bounds(o.name)) return bounded<T>(*b);
    return bounded<T>(std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max());
  }
}

}  // namespace

void add_train_option(po::options_description& options, const train::TrainOption& o) {
  const train::TrainConfig defaults;
  std::visit(
      [&](auto field) {
        using T = std::decay_t<decltype(defaults.*field)>;
        if constexpr (std::is_same_v<T, bool>) {
          const bool d = defaults.*field;
          options.add_options()(o.name, po::value<bool>()->default_value(d, d ? "true" : "false")->implicit_value(true, "true"), o.help);
        } else if constexpr (std::is_same_v<T, double>) {
          std::ostringstream text;
          text << defaults.*field;  // 0.4, not Program_options' 0.40000000000000002
          options.add_options()(o.name, numeric_value<double>(o)->default_value(defaults.*field, text.str()), o.help);
        } else if constexpr (std::is_same_v<T, std::string>) {
          const std::string& d = defaults.*field;
          options.add_options()(o.name, d.empty() ? po::value<std::string>() : po::value<std::string>()->default_value(d), o.help);
        } else {
          options.add_options()(o.name, numeric_value<T>(o)->default_value(defaults.*field), o.help);
        }
      },
      o.field);
}

void set_train_option(train::TrainConfig& config, const po::variables_map& vm, const train::TrainOption& o) {
  std::visit(
      [&](auto field) {
        using T = std::decay_t<decltype(config.*field)>;
        if (vm.count(o.name) != 0) config.*field = vm[o.name].as<T>();
      },
      o.field);
}

po::typed_value<uint64_t>* unsigned_value(uint64_t* store) {
  return bounded<uint64_t>(0, std::numeric_limits<uint64_t>::max(), store);
}

template po::typed_value<int>* bounded<int>(int, int, int*);
template po::typed_value<int64_t>* bounded<int64_t>(int64_t, int64_t, int64_t*);
template po::typed_value<uint64_t>* bounded<uint64_t>(uint64_t, uint64_t, uint64_t*);
template po::typed_value<double>* bounded<double>(double, double, double*);
template po::typed_value<int>* bounded<int>(const train::Bounds&, int*);
template po::typed_value<int64_t>* bounded<int64_t>(const train::Bounds&, int64_t*);
template po::typed_value<double>* bounded<double>(const train::Bounds&, double*);

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
    po::parsed_options parsed = parser.run();
    name_positionals(parsed, positional);
    po::store(parsed, vm);
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
