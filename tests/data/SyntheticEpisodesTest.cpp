// Synthetic episodes: a pure function of (seed, task), the same at every step, class-major labels.
#include "cezanne/data/SyntheticEpisodes.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using namespace cz;
using namespace cz::data;

namespace {

TEST(SyntheticEpisodes, TaskRowsDependOnSeedAndTaskOnly) {
  const SyntheticEpisodes source({.ways = 3, .shots = 2, .queries = 1, .channels = 2, .image = 5}, 7);
  const EpisodeBatch batch = source.sample_batch(4, {0, 5});
  ASSERT_EQ(batch.support.shape(), (Shape{2, 6, 2, 5, 5}));
  ASSERT_EQ(batch.query.shape(), (Shape{2, 3, 2, 5, 5}));
  EXPECT_EQ(batch.step, 4);
  EXPECT_EQ(batch.support_labels.to_i64_vector(), (std::vector<int64_t>{0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(batch.query_labels.to_i64_vector(), (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
  const Episode alone = source.sample(9, 5);  // another step: the same task
  EXPECT_EQ(alone.support.contiguous().to_vector(), batch.support.select(0, 1).contiguous().to_vector());
  EXPECT_EQ(alone.query.contiguous().to_vector(), batch.query.select(0, 1).contiguous().to_vector());
  EXPECT_NE(alone.support.contiguous().to_vector(), batch.support.select(0, 0).contiguous().to_vector());
  const SyntheticEpisodes other({.ways = 3, .shots = 2, .queries = 1, .channels = 2, .image = 5}, 8);
  EXPECT_NE(other.sample(9, 5).support.contiguous().to_vector(), alone.support.contiguous().to_vector());
  for (const double v : alone.support.contiguous().to_vector()) {
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 1.0);
  }
}

TEST(SyntheticEpisodes, BadSizesAreRefused) {
  try {
    SyntheticEpisodes({.ways = 0}, 0);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "synthetic episodes: ways, shots, channels and image must be >= 1 and queries >= 0, got 0, 1, 1, 28 and 15");
  }
}

}  // namespace
