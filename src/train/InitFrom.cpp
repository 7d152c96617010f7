// Partial loading: a checkpoint's parameters by pattern and rename into a fresh model.
#include "cezanne/train/InitFrom.hpp"

#include <stdexcept>
#include <utility>

#include "cezanne/optim/GroupRules.hpp"
#include "cezanne/util/SplitList.hpp"

namespace cz::train {

std::vector<InitValue> init_values(const Checkpoint& checkpoint, const std::string& path,
                                   const std::vector<nn::ParamSpec>& target,
                                   const std::string& patterns, const std::string& renames) {
  std::vector<std::pair<std::string, std::string>> rules;
  for (const std::string& rule : split_list(renames)) {
    const size_t eq = rule.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument("--init-rename: '" + rule + "': expected FROM=TO");
    rules.emplace_back(rule.substr(0, eq), rule.substr(eq + 1));
  }
  std::vector<std::string> names;
  for (const auto& [name, tensor] : checkpoint.params) names.push_back(name);
  const std::vector<bool> chosen = optim::match_names("--init-params", names, patterns);
  std::vector<InitValue> values;
  for (size_t k = 0; k < names.size(); ++k) {
    if (!chosen[k]) continue;
    std::string name = names[k];
    for (const auto& [from, to] : rules)
      if (name.compare(0, from.size(), from) == 0) {
        name = to + name.substr(from.size());
        break;
      }
    const std::string shown = "'" + name + "'" + (name == names[k] ? "" : " (renamed from '" + names[k] + "')");
    size_t i = 0;
    while (i < target.size() && target[i].name != name) ++i;
    if (i == target.size())
      throw std::invalid_argument("--init-from " + path + ": parameter " + shown +
                                  " is not a parameter of this model; choose others with --init-params or rename with --init-rename");
    const Tensor& value = checkpoint.params[k].second;
    if (value.shape() != target[i].shape)
      throw std::invalid_argument("--init-from " + path + ": parameter " + shown + " is " +
                                  shape_str(value.shape()) + " in the checkpoint, " +
                                  shape_str(target[i].shape) + " here");
    values.push_back({i, names[k], value});
  }
  return values;
}

}  // namespace cz::train
