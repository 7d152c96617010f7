// Plateau: the best validation of a run so far, and how long since it improved.
#pragma once

#include <cmath>
#include <cstdint>

namespace cz::train {

/// What ends --head-first's first phase and an --early-stop run: `patience` validations in a row
/// without a new best. Accuracy is better higher, the sinusoids' MSE lower.
struct Plateau {
  bool higher_is_better = true;
  double best = NAN;       ///< NaN before the first validation
  int64_t best_step = 0;   ///< the step of the best validation
  int64_t since = 0;       ///< validations since the best

  /// Records the validation `value` of `step`; true when it is a new best (strictly better, or
  /// the first finite value).
  bool update(double value, int64_t step) {
    const bool better = std::isfinite(value) &&
                        (std::isnan(best) || (higher_is_better ? value > best : value < best));
    if (better) {
      best = value;
      best_step = step;
      since = 0;
    } else {
      ++since;
    }
    return better;
  }
  /// Forgets the best: the next phase of a recipe starts its own count.
  void reset() {
    best = NAN;
    since = 0;
  }
};

}  // namespace cz::train
