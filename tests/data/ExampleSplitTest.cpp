// Example-level splits: parsing, per-split counts, a fixed partition of every class.
#include "cezanne/data/ExampleSplit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

using namespace cz::data;

namespace {

// The message of the std::invalid_argument parse_example_split throws ("" if none).
std::string parse_error(const std::string& text) {
  try {
    parse_example_split(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

std::vector<int64_t> counts(const ExampleSplit& parts, int64_t n) {
  return {examples_in_split(parts, n, Split::train), examples_in_split(parts, n, Split::val),
          examples_in_split(parts, n, Split::test)};
}

}  // namespace

TEST(ExampleSplitTest, ParsesAndPrints) {
  const ExampleSplit defaults;
  EXPECT_EQ(to_string(defaults), "14/2/4");
  const ExampleSplit p = parse_example_split("14/2/4");
  EXPECT_EQ(p.train, 14);
  EXPECT_EQ(p.val, 2);
  EXPECT_EQ(p.test, 4);
  for (const char* text : {"14/2/4", "1/0/0", "8/1/1", "3/0/17", "100/25/75"})
    EXPECT_EQ(to_string(parse_example_split(text)), text);
}

TEST(ExampleSplitTest, RefusesAnythingElse) {
  for (const char* text :
       {"", "14/2", "14/2/4/1", "0/2/4", "-1/2/4", "14/-2/4", "+14/2/4", " 14/2/4", "14/2/4 ",
        "14//4", "a/b/c", "14.0/2/4", "14,2,4", "99999999999999999999/1/1"})
    EXPECT_EQ(parse_error(text),
              std::string("--example-split: expected TRAIN/VAL/TEST parts such as 14/2/4, got '") +
                  text + "'")
        << text;
  EXPECT_EQ(parse_error("14/2/4"), "");
}

TEST(ExampleSplitTest, CountsPerSplit) {
  const ExampleSplit p;  // 14/2/4
  EXPECT_EQ(counts(p, 20), (std::vector<int64_t>{14, 2, 4}));
  EXPECT_EQ(counts(p, 10), (std::vector<int64_t>{7, 1, 2}));
  EXPECT_EQ(counts(p, 60), (std::vector<int64_t>{42, 6, 12}));
  // floor on val and test: 9*2/20 = 0.9 -> 0, 9*4/20 = 1.8 -> 1; train keeps the rest.
  EXPECT_EQ(counts(p, 9), (std::vector<int64_t>{8, 0, 1}));
  EXPECT_EQ(counts(p, 0), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(counts({8, 1, 1}, 20), (std::vector<int64_t>{16, 2, 2}));
  EXPECT_EQ(counts({1, 1, 1}, 20), (std::vector<int64_t>{8, 6, 6}));
  EXPECT_EQ(counts({14, 0, 6}, 20), (std::vector<int64_t>{14, 0, 6}));
  EXPECT_THROW(examples_in_split(p, -1, Split::train), std::invalid_argument);
  EXPECT_THROW(examples_in_split({0, 1, 1}, 20, Split::train), std::invalid_argument);
}

TEST(ExampleSplitTest, ListsPartitionTheClass) {
  for (const ExampleSplit& p : {ExampleSplit{}, ExampleSplit{8, 1, 1}, ExampleSplit{1, 1, 1}})
    for (int64_t n : {0, 1, 2, 9, 20, 60})
      for (int64_t c : {0, 1, 7, 1622}) {
        const auto train = split_examples(p, c, n, Split::train);
        const auto val = split_examples(p, c, n, Split::val);
        const auto test = split_examples(p, c, n, Split::test);
        EXPECT_EQ(static_cast<int64_t>(train.size()), examples_in_split(p, n, Split::train));
        EXPECT_EQ(static_cast<int64_t>(val.size()), examples_in_split(p, n, Split::val));
        EXPECT_EQ(static_cast<int64_t>(test.size()), examples_in_split(p, n, Split::test));
        for (const auto* list : {&train, &val, &test})
          EXPECT_TRUE(std::is_sorted(list->begin(), list->end()));
        std::vector<int64_t> all = train;
        all.insert(all.end(), val.begin(), val.end());
        all.insert(all.end(), test.begin(), test.end());
        std::sort(all.begin(), all.end());
        std::vector<int64_t> expected(static_cast<size_t>(n));
        std::iota(expected.begin(), expected.end(), int64_t{0});
        EXPECT_EQ(all, expected) << "disjoint and complete: " << to_string(p) << " n=" << n
                                 << " class=" << c;
      }
}

TEST(ExampleSplitTest, DependsOnlyOnTheClass) {
  const ExampleSplit p;
  const auto test0 = split_examples(p, 0, 20, Split::test);
  EXPECT_EQ(split_examples(p, 0, 20, Split::test), test0);
  EXPECT_NE(split_examples(p, 1, 20, Split::test), test0);
  EXPECT_NE(split_examples(p, 2, 20, Split::test), split_examples(p, 1, 20, Split::test));
  // Pinned: the test examples of a class are part of every result ever reported, so the shuffle
  // must never change. These are the positions the current key gives.
  EXPECT_EQ(test0, (std::vector<int64_t>{6, 11, 13, 17}));
  EXPECT_EQ(split_examples(p, 5, 20, Split::val), (std::vector<int64_t>{6, 9}));
  // The same permutation for any parts: 8/1/1 moves examples out of train, never into it.
  const auto train_8 = split_examples({8, 1, 1}, 0, 20, Split::train);
  const auto train_14 = split_examples(p, 0, 20, Split::train);
  EXPECT_TRUE(std::includes(train_8.begin(), train_8.end(), train_14.begin(), train_14.end()));
}

TEST(ExampleSplitTest, AZeroPartIsEmpty) {
  EXPECT_TRUE(split_examples({14, 0, 6}, 3, 20, Split::val).empty());
  EXPECT_EQ(split_examples({14, 0, 6}, 3, 20, Split::test).size(), 6u);
  EXPECT_TRUE(split_examples({1, 0, 0}, 3, 20, Split::test).empty());
  EXPECT_EQ(split_examples({1, 0, 0}, 3, 20, Split::train).size(), 20u);
}
