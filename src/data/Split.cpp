// Split names and the seeded split assignment used by every importer.
#include "cezanne/data/Split.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "cezanne/data/StoreError.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::data {

const char* split_name(Split split) {
  switch (split) {
    case Split::train:
      return "train";
    case Split::val:
      return "val";
    case Split::test:
      return "test";
  }
  return "unknown";
}

Split parse_split(const std::string& name) {
  if (name == "train") return Split::train;
  if (name == "val") return Split::val;
  if (name == "test") return Split::test;
  throw StoreError("unknown split '" + name + "' (expected train, val or test)");
}

const char* split_by_name(SplitBy by) { return by == SplitBy::domain ? "domain" : "class"; }

SplitBy parse_split_by(const std::string& name) {
  if (name == "domain") return SplitBy::domain;
  if (name == "class") return SplitBy::class_;
  throw StoreError("unknown --split-by '" + name + "' (expected domain or class)");
}

std::optional<Split> whole_split(const SplitFractions& fractions) {
  if (fractions.val == 1 && fractions.test == 0) return Split::val;
  if (fractions.test == 1 && fractions.val == 0) return Split::test;
  return std::nullopt;
}

std::vector<Split> assign_splits(int64_t n, const SplitFractions& fractions) {
  const double val = fractions.val, test = fractions.test;
  if (const auto whole = whole_split(fractions))
    return std::vector<Split>(static_cast<size_t>(std::max<int64_t>(n, 0)), *whole);
  if (!(val >= 0 && val < 1) || !(test >= 0 && test < 1) || val + test >= 1) {
    throw StoreError(
        "split fractions must be in [0, 1) and sum to less than 1, or one of them 1 and the "
        "other 0 (val " +
        std::to_string(val) + ", test " + std::to_string(test) + ")");
  }
  if (n <= 0) return {};
  int64_t n_val = std::llround(static_cast<double>(n) * val);
  int64_t n_test = std::llround(static_cast<double>(n) * test);
  if (n >= 3) {
    if (val > 0 && n_val == 0) n_val = 1;
    if (test > 0 && n_test == 0) n_test = 1;
  }
  // Train keeps at least one unit; shrink the larger held-out part first.
  while (n_val + n_test > n - 1 && n_val + n_test > 0) {
    if (n_val >= n_test)
      --n_val;
    else
      --n_test;
  }
  // Fisher-Yates with a counter-based generator, so the result does not depend on the
  // standard library's distributions.
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  CounterRng rng(mix_key({fractions.seed, 0x5350'4C49'54ull /* "SPLIT" */}));
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i + 1)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  std::vector<Split> splits(static_cast<size_t>(n), Split::train);
  for (int64_t k = 0; k < n_val; ++k)
    splits[static_cast<size_t>(order[static_cast<size_t>(k)])] = Split::val;
  for (int64_t k = n_val; k < n_val + n_test; ++k)
    splits[static_cast<size_t>(order[static_cast<size_t>(k)])] = Split::test;
  return splits;
}

}  // namespace cz::data
