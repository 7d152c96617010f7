// Train/val/test by example inside every class (multi-task learning), fixed for every run and seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cezanne/data/Split.hpp"

namespace cz::data {

/// How a class's examples are shared out, in parts like "14/2/4" (train/val/test).
struct ExampleSplit {
  int64_t train = 14, val = 2, test = 4;
};

/// Parses "A/B/C" (non-negative integers, train part >= 1, sum >= 1). Throws std::invalid_argument
/// "--example-split: expected TRAIN/VAL/TEST parts such as 14/2/4, got 'x'".
ExampleSplit parse_example_split(const std::string& text);
/// "14/2/4".
std::string to_string(const ExampleSplit& parts);

/// How many of a class's n examples fall in `split`: val = floor(n*B/S), test = floor(n*C/S),
/// train = the rest (S = A+B+C), so train never loses an example to rounding. 20 examples under
/// 14/2/4 -> 14, 2, 4. Throws std::invalid_argument for n < 0 or parts parse would refuse.
int64_t examples_in_split(const ExampleSplit& parts, int64_t n, Split split);

/// Positions (0..n-1 within the class, ascending) of class `class_index`'s examples in `split`:
/// a Fisher-Yates permutation of 0..n-1 from a CounterRng keyed by mix_key({constant, class_index})
/// — independent of any training seed, so every run and seed shares one test set — whose first
/// `train` entries are train, the next `val` val, the rest test. The three lists partition 0..n-1.
std::vector<int64_t> split_examples(const ExampleSplit& parts, int64_t class_index, int64_t n,
                                    Split split);

}  // namespace cz::data
