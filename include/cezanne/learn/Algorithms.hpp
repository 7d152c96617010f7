// The registry of algorithms: the one list of their names, their own options and factories.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cezanne/learn/EpisodicLearner.hpp"

namespace cz::learn {

/// One algorithm `cezanne train --algo NAME` runs. Everything that needs the list of
/// algorithms (the factory, --help, the checks of bench step) reads algorithms().
struct Algorithm {
  enum class Kind { episodic, multitask, unlabelled };
  std::string name;
  std::string summary;  ///< one line for --help
  Kind kind = Kind::episodic;
  /// Adapts with inner gradient steps (the MAML family): --zero-head and --model mlp apply.
  bool inner_loop = false;
  /// Its own options of `cezanne train` (names without "--", in --help order), beyond the
  /// general ones every run has; `cezanne train --algo NAME --help` shows them.
  std::vector<std::string> options;
  /// Episodic algorithms: the learner of a config whose algorithm is this one. Empty for
  /// multitask and unlabelled ones, whose objective and step the trainer builds
  /// (train::plan_multitask, train::plan_unlabelled).
  std::function<std::unique_ptr<EpisodicLearner>(const LearnerConfig&)> make;
  /// Learns regression tasks only (sinusoids, --model mlp): the neural process.
  bool regression_only = false;
};

/// Every algorithm, in --help order.
const std::vector<Algorithm>& algorithms();

/// The algorithm called `name`, or nullptr.
const Algorithm* find_algorithm(const std::string& name);

/// "maml, fomaml, ..., multitask" (of `kind` only when given).
std::string algorithm_names();
std::string algorithm_names(Algorithm::Kind kind);

/// Whether option `option` (without "--") belongs to some algorithm rather than to every run.
bool is_algorithm_option(const std::string& option);

}  // namespace cz::learn
