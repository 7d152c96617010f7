// --freeze and --lr-scale: name patterns to parameter groups.
#include "cezanne/optim/GroupRules.hpp"

#include <fnmatch.h>

#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>
#include <utility>

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

std::vector<ParamGroup> groups_from_rules(const std::vector<std::string>& names,
                                          const std::string& freeze, const std::string& lr_scale) {
  std::vector<bool> frozen(names.size(), false);
  for (const std::string& pattern : split_list(freeze)) {
    bool any = false;
    for (size_t i = 0; i < names.size(); ++i)
      if (matches(pattern, names[i])) frozen[i] = any = true;
    if (!any) no_match("--freeze", pattern, names);
  }
  std::vector<double> scale(names.size(), 1.0);
  std::vector<bool> scaled(names.size(), false);
  for (const std::string& rule : split_list(lr_scale)) {
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
  // One group per (frozen, scale), in order of each group's first parameter.
  std::vector<ParamGroup> groups;
  std::map<std::pair<bool, double>, size_t> index;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::pair<bool, double> key{frozen[i], frozen[i] ? 0.0 : scale[i]};
    auto [it, fresh] = index.emplace(key, groups.size());
    if (fresh) {
      ParamGroup g;
      g.frozen = key.first;
      g.lr_scale = key.first ? 1.0 : key.second;
      groups.push_back(g);
    }
    groups[it->second].params.push_back(i);
  }
  return groups;
}

std::vector<bool> frozen_parameters(const std::vector<ParamGroup>& groups, size_t count) {
  std::vector<bool> frozen(count, false);
  for (const ParamGroup& g : groups)
    if (g.frozen)
      for (const size_t i : g.params) frozen.at(i) = true;
  return frozen;
}

}  // namespace cz::optim
