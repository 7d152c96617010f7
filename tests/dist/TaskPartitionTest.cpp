// owned_tasks: every global task index owned by exactly one rank, in rank order.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "cezanne/dist/TaskPartition.hpp"

namespace cz {
namespace {

TEST(TaskPartition, ConcatenationIsTheWholeMetaBatch) {
  for (int world = 1; world <= 9; ++world) {
    for (int64_t meta_batch = 0; meta_batch <= 25; ++meta_batch) {
      std::vector<int64_t> all;
      for (int rank = 0; rank < world; ++rank) {
        const auto mine = owned_tasks(meta_batch, rank, world);
        EXPECT_EQ(first_owned_task(meta_batch, rank, world), static_cast<int64_t>(all.size()));
        // Shares differ by at most one, larger shares first.
        EXPECT_EQ(static_cast<int64_t>(mine.size()), meta_batch / world + (rank < meta_batch % world ? 1 : 0));
        all.insert(all.end(), mine.begin(), mine.end());
      }
      ASSERT_EQ(static_cast<int64_t>(all.size()), meta_batch);
      for (int64_t i = 0; i < meta_batch; ++i) ASSERT_EQ(all[static_cast<size_t>(i)], i);
    }
  }
}

TEST(TaskPartition, UnevenExample) {
  EXPECT_EQ(owned_tasks(6, 0, 4), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(owned_tasks(6, 1, 4), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(owned_tasks(6, 2, 4), (std::vector<int64_t>{4}));
  EXPECT_EQ(owned_tasks(6, 3, 4), (std::vector<int64_t>{5}));
  EXPECT_TRUE(owned_tasks(2, 3, 4).empty());
}

TEST(TaskPartition, RejectsBadArguments) {
  EXPECT_THROW(owned_tasks(4, 0, 0), std::invalid_argument);
  EXPECT_THROW(owned_tasks(4, 2, 2), std::invalid_argument);
  EXPECT_THROW(owned_tasks(4, -1, 2), std::invalid_argument);
  EXPECT_THROW(owned_tasks(-1, 0, 2), std::invalid_argument);
}

}  // namespace
}  // namespace cz
