// k-means partitions on 1, 2 and 4 ranks: every rank's partitions equal one process's, bit for bit.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "cezanne/tensor/Tensor.hpp"
#include "cezanne/train/Clustering.hpp"
#include "dist/MpiTestMain.hpp"

namespace cz::train {
namespace {

using dist::test::world;

TEST(KMeansMpi, PartitionsEqualOneProcess) {
  // 403 points (not a multiple of 2 or 4 ranks) of 6 features around 9 centres.
  const int64_t n = 403, d = 6;
  std::vector<double> values = Tensor::normal({n, d}, 0.0, 0.3, 21, 0, DType::f64).to_vector();
  const std::vector<double> centres = Tensor::normal({9, d}, 0.0, 3.0, 22, 0, DType::f64).to_vector();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) values[i * d + j] += centres[(i % 9) * d + j];
  const learn::Points points{values.data(), n, d};
  // 40 clusters of 403 points: some Lloyd steps meet empty clusters and relocate them.
  const ClusteringOptions options{.clusters = 40, .partitions = 3, .iterations = 30, .seed = 7};
  const auto reference = cluster_partitions(points, options, nullptr);
  const auto distributed = cluster_partitions(points, options, &world());
  ASSERT_EQ(distributed.size(), 3u);
  for (size_t p = 0; p < reference.size(); ++p) EXPECT_EQ(distributed[p], reference[p]) << "partition " << p;
  // Partitions differ from each other (their own seeds) and use every cluster.
  EXPECT_NE(reference[0], reference[1]);
  for (const auto& partition : reference) {
    std::vector<int64_t> count(40, 0);
    for (const int64_t c : partition) ++count[c];
    for (int64_t c = 0; c < 40; ++c) EXPECT_GT(count[c], 0) << "cluster " << c;
  }
}

}  // namespace
}  // namespace cz::train

CZ_MPI_TEST_MAIN()
