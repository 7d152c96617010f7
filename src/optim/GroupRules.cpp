// Name patterns to parameters: --freeze, --trainable, --lr-scale, --init-params.
#include "cezanne/optim/GroupRules.hpp"

#include <fnmatch.h>

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "cezanne/util/SplitList.hpp"

namespace cz::optim {
namespace {

bool matches(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

// "--freeze: 'x' matches no parameter (parameters: a, b, ...)", the list cut after a few names.
[[noreturn]] void no_match(const char* option, const std::string& rule, const std::vector<std::string>& names) {
  std::string list;
  for (size_t i = 0; i < names.size() && i < 6; ++i) list += (i ? ", " : "") + names[i];
  if (names.size() > 6) list += ", ... (" + std::to_string(names.size()) + " in all)";
  throw std::invalid_argument(std::string(option) + ": '" + rule + "' matches no parameter (parameters: " + list + ")");
}

}  // namespace

std::vector<bool> match_names(const char* option, const std::vector<std::string>& names,
                              const std::string& patterns) {
  std::vector<bool> matched(names.size(), false);
  for (const std::string& pattern : split_list(patterns)) {
    bool any = false;
    for (size_t i = 0; i < names.size(); ++i)
      if (matches(pattern, names[i])) matched[i] = any = true;
    if (!any) no_match(option, pattern, names);
  }
  return matched;
}

std::vector<double> lr_scales(const std::vector<std::string>& names, const std::string& rules) {
  std::vector<double> scale(names.size(), 1.0);
  std::vector<bool> scaled(names.size(), false);
  for (const std::string& rule : split_list(rules)) {
    const size_t eq = rule.rfind('=');
    double value = -1;
    if (eq != std::string::npos) {
      const char* end = rule.data() + rule.size();
      const auto [ptr, ec] = std::from_chars(rule.data() + eq + 1, end, value);
      if (ec != std::errc() || ptr != end) value = -1;
    }
    if (eq == std::string::npos || eq == 0 || !(value >= 0) || !std::isfinite(value))
      throw std::invalid_argument("--lr-scale: '" + rule +
                                  "': expected PATTERN=SCALE with SCALE a finite number >= 0");
    const std::string pattern = rule.substr(0, eq);
    bool any = false;
    for (size_t i = 0; i < names.size(); ++i) {
      if (!matches(pattern, names[i])) continue;
      any = true;
      if (!scaled[i]) scale[i] = value;  // the first rule a parameter matches wins
      scaled[i] = true;
    }
    if (!any) no_match("--lr-scale", rule, names);
  }
  return scale;
}

}  // namespace cz::optim
