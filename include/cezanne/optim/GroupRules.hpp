// Parameters chosen by name patterns: what --freeze, --trainable, --lr-scale and --init-params
// put on the command line.
#pragma once

#include <string>
#include <vector>

namespace cz::optim {

/// Per parameter of `names` (in parameter order): whether it matches any pattern of `patterns`,
/// a comma-separated list of shell-style patterns (`*`, `?`, `[...]`, as fnmatch), e.g.
/// "block0.*,block1.*". Every pattern must match a parameter: throws std::invalid_argument, one
/// line naming `option`: "--freeze: 'blok*' matches no parameter (parameters: block0.conv.weight,
/// ...)". Empty `patterns`: nothing matches.
std::vector<bool> match_names(const char* option, const std::vector<std::string>& names,
                              const std::string& patterns);

/// Per parameter: the learning-rate scale of "head.*=10,block*=0.5" (--lr-scale), that of the
/// first pattern a parameter matches, 1 when none. Throws std::invalid_argument
/// "--lr-scale: 'head.*=x': expected PATTERN=SCALE with SCALE a finite number >= 0", or the
/// message of match_names for a pattern that matches nothing.
std::vector<double> lr_scales(const std::vector<std::string>& names, const std::string& rules);

}  // namespace cz::optim
