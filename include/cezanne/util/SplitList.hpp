// Comma-separated option values ("--tasks Latin,Greek", "--freeze 'block0.*,block1.*'").
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace cz {

/// The items of `text` between `separator`s, in order. Empty items (",," or a trailing
/// separator) are dropped unless `keep_empty`, for a caller that must see and refuse them.
inline std::vector<std::string> split_list(const std::string& text, char separator = ',',
                                           bool keep_empty = false) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, separator);)
    if (keep_empty || !item.empty()) out.push_back(item);
  return out;
}

}  // namespace cz
