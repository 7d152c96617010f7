// Meta-learning splits (train / val / test) and their deterministic assignment at prepare time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cz::data {

/// Which part of the meta-data a class belongs to; stored as uint8 in the manifest.
enum class Split : uint8_t { train = 0, val = 1, test = 2 };

inline constexpr int kNumSplits = 3;

/// "train", "val", "test".
const char* split_name(Split split);
/// Inverse of split_name; throws StoreError on anything else.
Split parse_split(const std::string& name);

/// What the split is drawn over: whole domains (an alphabet is all train or all test) or
/// classes (classes of one domain may land in different splits).
enum class SplitBy : uint8_t { domain = 0, class_ = 1 };
const char* split_by_name(SplitBy by);            // "domain", "class"
SplitBy parse_split_by(const std::string& name);  // throws StoreError

/// Fractions of units (domains or classes) held out for val and test, and the seed of the
/// shuffle that picks them.
struct SplitFractions {
  double val = 0.2;
  double test = 0.2;
  uint64_t seed = 0;
};

/// The one split every unit goes to when a fraction is exactly 1 and the other 0; else nullopt.
std::optional<Split> whole_split(const SplitFractions& fractions);

/// Assigns each of `n` units a split: round(n*val) val, round(n*test) test, the rest train,
/// chosen by a seeded shuffle (Philox; identical on every platform). When n >= 3 every
/// split asked for (fraction > 0) gets at least one unit and train keeps at least one.
/// A fraction of exactly 1 (the other 0) puts every unit in that split: a folder of new
/// classes to evaluate a trained model on is imported with test = 1. Throws StoreError for
/// fractions outside [0, 1], or summing to more than 1, or to 1 otherwise.
std::vector<Split> assign_splits(int64_t n, const SplitFractions& fractions);

}  // namespace cz::data
