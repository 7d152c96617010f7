// Example-level splits: parsing "A/B/C", per-split counts and the fixed per-class shuffle.
#include "cezanne/data/ExampleSplit.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "cezanne/tensor/Random.hpp"

namespace cz::data {
namespace {

// Keys the per-class shuffle. Never derived from a training seed: the test examples of a class
// must be the same in every run, or results of two runs would be measured on different images.
constexpr uint64_t kExampleSplitKey = 0x6578616d706c6573ull;  // "examples"

// Parts that large would overflow n*part; no real split comes near.
constexpr int64_t kMaxPart = int64_t{1} << 40;

bool valid(const ExampleSplit& p) {
  return p.train >= 1 && p.val >= 0 && p.test >= 0 && p.train <= kMaxPart && p.val <= kMaxPart &&
         p.test <= kMaxPart;
}

void check(const ExampleSplit& parts, const char* where) {
  if (!valid(parts))
    throw std::invalid_argument(std::string(where) + ": invalid example split " + to_string(parts) +
                                " (train part >= 1, others >= 0)");
}

}  // namespace

ExampleSplit parse_example_split(const std::string& text) {
  auto fail = [&]() -> ExampleSplit {
    throw std::invalid_argument(
        "--example-split: expected TRAIN/VAL/TEST parts such as 14/2/4, got '" + text + "'");
  };
  int64_t values[3];
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3; ++i) {
    if (i > 0) {
      if (p == end || *p != '/') return fail();
      ++p;
    }
    if (p == end || *p < '0' || *p > '9') return fail();  // from_chars would take a '-'
    const auto [next, ec] = std::from_chars(p, end, values[i]);
    if (ec != std::errc()) return fail();
    p = next;
  }
  const ExampleSplit parts{values[0], values[1], values[2]};
  if (p != end || !valid(parts)) return fail();
  return parts;
}

std::string to_string(const ExampleSplit& parts) {
  return std::to_string(parts.train) + "/" + std::to_string(parts.val) + "/" +
         std::to_string(parts.test);
}

int64_t examples_in_split(const ExampleSplit& parts, int64_t n, Split split) {
  check(parts, "examples_in_split");
  if (n < 0)
    throw std::invalid_argument("examples_in_split: n must be >= 0, got " + std::to_string(n));
  const auto sum = static_cast<__int128>(parts.train) + parts.val + parts.test;
  const auto val = static_cast<int64_t>(static_cast<__int128>(n) * parts.val / sum);
  const auto test = static_cast<int64_t>(static_cast<__int128>(n) * parts.test / sum);
  switch (split) {
    case Split::val:
      return val;
    case Split::test:
      return test;
    case Split::train:
      break;
  }
  return n - val - test;
}

std::vector<int64_t> split_examples(const ExampleSplit& parts, int64_t class_index, int64_t n,
                                    Split split) {
  const int64_t train = examples_in_split(parts, n, Split::train);
  const int64_t val = examples_in_split(parts, n, Split::val);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  CounterRng rng(mix_key({kExampleSplitKey, static_cast<uint64_t>(class_index)}));
  for (int64_t i = 0; i + 1 < n; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - i)));
    std::swap(order[i], order[j]);
  }
  int64_t begin = 0, end = train;
  if (split == Split::val) begin = train, end = train + val;
  if (split == Split::test) begin = train + val, end = n;
  std::vector<int64_t> out(order.begin() + begin, order.begin() + end);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cz::data
