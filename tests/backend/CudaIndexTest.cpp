// CUDA gather / scatter_add / index_select / index_add against the CPU's, bit for bit: the adds
// must happen in the CPU's order through both scatter kernels (a thread per row, a warp per row),
// with many indices colliding; an out-of-range index surfaces as the CPU's ShapeError at the next
// copy to the host and leaves the device usable (GPU only).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "CudaCompare.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::testing {
namespace {

struct ScatterCase {
  std::string name;
  Shape out_shape;
  int64_t dim;
  Shape index_shape;
};

// The index of each case draws from the whole of out's dim, so many of its elements collide.
const std::vector<ScatterCase> kScatterCases = {
    {"warp per row: a pooling gradient (inner 1, 196 per row)", {2000, 784}, 1, {2000, 196}},
    {"warp per row: 1000 adds into 3 elements", {4, 3}, 1, {4, 1000}},
    {"thread per row: inner 20000", {2, 40, 20000}, 1, {2, 100, 20000}},
    {"thread per row: short rows (4 per row)", {40000, 2}, 1, {40000, 4}},
    {"dim 0 of a matrix", {30, 64}, 0, {500, 64}},
};

TEST(CudaIndex, ScatterAddAndGatherEqualTheCpusBitForBit) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const ScatterCase& c : kScatterCases) {
      const std::string what = c.name + " " + dtype_name(dtype);
      const int64_t n = shape_numel(c.index_shape);
      const Tensor index = Tensor::from_i64(random_indices(n, c.out_shape[static_cast<size_t>(c.dim)], 3),
                                            c.index_shape);
      const Tensor src = Tensor::from(random_values(n, 4), c.index_shape, dtype);
      expect_same(scatter_add(c.out_shape, c.dim, on_gpu(index), on_gpu(src)),
                  scatter_add(c.out_shape, c.dim, index, src), what + " scatter_add");
      const Tensor x = Tensor::from(random_values(shape_numel(c.out_shape), 5), c.out_shape, dtype);
      expect_same(gather(on_gpu(x), c.dim, on_gpu(index)), gather(x, c.dim, index), what + " gather");
    }
  }
}

TEST(CudaIndex, IndexAddAndIndexSelectEqualTheCpusBitForBit) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  struct Case {
    std::string name;
    Shape out_shape;
    int64_t dim, count;
  };
  const std::vector<Case> cases = {
      {"an embedding's gradient: 3000 rows into 50 (warp per row)", {50, 64}, 0, 3000},
      {"task weights: 32 into 4 (one row)", {4}, 0, 32},
      {"a middle dim, thread per row", {3, 20, 20000}, 1, 7},
  };
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const Case& c : cases) {
      const std::string what = c.name + " " + dtype_name(dtype);
      const Tensor index = Tensor::from_i64(random_indices(c.count, c.out_shape[static_cast<size_t>(c.dim)], 8),
                                            {c.count});
      Shape src_shape = c.out_shape;
      src_shape[static_cast<size_t>(c.dim)] = c.count;
      const Tensor src = Tensor::from(random_values(shape_numel(src_shape), 9), src_shape, dtype);
      expect_same(index_add(c.out_shape, c.dim, on_gpu(index), on_gpu(src)),
                  index_add(c.out_shape, c.dim, index, src), what + " index_add");
      const Tensor x = Tensor::from(random_values(shape_numel(c.out_shape), 10), c.out_shape, dtype);
      expect_same(index_select(on_gpu(x), c.dim, on_gpu(index)), index_select(x, c.dim, index),
                  what + " index_select");
    }
  }
}

TEST(CudaIndex, GathersI64) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  const Tensor x = Tensor::from_i64({10, 11, 12, 13, 14, 15}, {2, 3});
  const Tensor index = Tensor::from_i64({2, 0, 1, 1}, {2, 2});
  expect_same(gather(on_gpu(x), 1, on_gpu(index)), gather(x, 1, index), "gather");
  const Tensor rows = Tensor::from_i64({1, 1, 0}, {3});
  expect_same(index_select(on_gpu(x), 0, on_gpu(rows)), index_select(x, 0, rows), "index_select");
}

TEST(CudaIndex, AnOutOfRangeIndexThrowsAtTheNextCopyToTheHost) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  const Tensor x = on_gpu(Tensor::from({1, 2, 3, 4, 5}, {5}, DType::f32));
  const Tensor bad = on_gpu(Tensor::from_i64({0, 9, 2}, {3}));
  const Tensor out = gather(x, 0, bad);  // queued: the kernel cannot throw
  try {
    (void)out.to(Device::cpu());
    FAIL() << "no ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "gather: index 9 out of range [0, 5)");
  }
  // The fault is cleared and the device still works.
  const Tensor good = on_gpu(Tensor::from_i64({4, 0}, {2}));
  EXPECT_EQ(index_select(x, 0, good).to(Device::cpu()).to_vector(), (std::vector<double>{5, 1}));

  const Tensor negative = on_gpu(Tensor::from_i64({-1}, {1}));
  const Tensor added = index_add({4}, 0, negative, on_gpu(Tensor::from({1}, {1}, DType::f32)));
  try {
    (void)added.to(Device::cpu());
    FAIL() << "no ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "index_add: index -1 out of range [0, 4)");
  }
}

}  // namespace
}  // namespace cz::testing
