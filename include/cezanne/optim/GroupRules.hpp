// Parameter groups chosen by name patterns: what --freeze and --lr-scale put on the command line.
#pragma once

#include <string>
#include <vector>

#include "cezanne/optim/ParamGroup.hpp"

namespace cz::optim {

/// The groups of parameters `names` (in parameter order) under two rules, each a
/// comma-separated list of shell-style patterns (`*`, `?`, `[...]`, as fnmatch) over the names:
///   freeze:   "block0.*,block1.*"     parameters matching any pattern are frozen
///   lr_scale: "head.*=10,block*=0.5"  a parameter's lr_scale is that of the first pattern it
///                                     matches (1 when none); frozen wins over a scale
/// Returns one group per distinct (frozen, lr_scale), each listing its parameters in order
/// (empty rules: one group of every parameter). Throws std::invalid_argument, one line naming
/// the option: "--freeze: 'blok*' matches no parameter (parameters: block0.conv.weight, ...)",
/// "--lr-scale: 'head.*=x': expected PATTERN=SCALE with SCALE a finite number >= 0".
std::vector<ParamGroup> groups_from_rules(const std::vector<std::string>& names,
                                          const std::string& freeze, const std::string& lr_scale);

/// Whether parameter i is in a frozen group of `groups`, per parameter of `count`.
std::vector<bool> frozen_parameters(const std::vector<ParamGroup>& groups, size_t count);

}  // namespace cz::optim
