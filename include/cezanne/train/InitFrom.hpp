// Initialization from another run's checkpoint (transfer learning): --init-from, --init-params,
// --init-rename.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cezanne/nn/ParamSpec.hpp"
#include "cezanne/train/Checkpoint.hpp"

namespace cz::train {

/// A parameter of this run and the checkpoint's value it starts from.
struct InitValue {
  size_t param;        ///< index into this run's parameters
  std::string source;  ///< the checkpoint's name for it
  Tensor value;
};

/// The checkpoint's parameters (of any algorithm) whose names match a pattern of `patterns`
/// (comma-separated shell patterns, e.g. "block*"), each loaded into the parameter of `target`
/// of the same name, or of the name `renames` gives it: "FROM=TO,..." replaces a leading FROM
/// by TO (the first rule that applies). The target's other parameters keep their fresh
/// initialization (a new head of the target's width). Throws std::invalid_argument with one
/// line naming the option and the parameter: a pattern that matches nothing ("--init-params:
/// 'blok*' matches no parameter (parameters: ...)"), a bad rename ("--init-rename: 'x': expected
/// FROM=TO"), a selected parameter this model does not have, or another shape ("--init-from
/// CKPT: parameter 'head.weight' is [20, 64] in the checkpoint, [1, 40, 64] here").
std::vector<InitValue> init_values(const Checkpoint& checkpoint, const std::string& path,
                                   const std::vector<nn::ParamSpec>& target,
                                   const std::string& patterns, const std::string& renames);

}  // namespace cz::train
