// The CUDA indexing kernels (CudaIndex.cuh), run on the host by CudaEmulation.hpp through the
// launchers CudaIndex.cu calls, against the CPU backend, bit for bit: gather and index_select
// (f64, f32, i64), scatter_add and index_add with many repeated indices, by a thread per row and
// by a warp per row (chunks of 32 lanes matching their peers), and the fault record of an index
// out of range. Runs on every machine; on a GPU, CudaIndexTest runs the kernels themselves.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cezanne/tensor/Ops.hpp"
// After every other header: the emulation defines CUDA's keywords as macros.
#include "backend/CudaEmulation.hpp"
#include "backend/cuda/CudaIndex.cuh"

namespace cz {
namespace {

using cuda::IndexFaultRecord;
using cuda::IndexFaults;
using cuda::IndexLayout;
using cuda::IndexOp;
using cuda::split3;

/// A launcher that remembers which kernel it ran last.
struct RecordingLaunch {
  const void** last;
  template <class Kernel, class... Args>
  void operator()(Kernel kernel, unsigned blocks, const Args&... args) const {
    *last = reinterpret_cast<const void*>(kernel);
    cuda::emulation::Launch{cuda::kThreads}(kernel, blocks, args...);
  }
};

/// A fault record in host memory, as the kernels see the device's.
struct Faults {
  int claim = 0;
  IndexFaultRecord record{0, 0, 0, 0};
  IndexFaults view() { return {&claim, &record}; }
};

Tensor indices(const Shape& shape, int64_t size, uint64_t seed) {
  std::vector<int64_t> v;
  for (double u :
       Tensor::uniform(shape, 0, static_cast<double>(size), seed, 0, DType::f64).to_vector())
    v.push_back(static_cast<int64_t>(u));
  return Tensor::from_i64(v, shape);
}

Tensor values(const Shape& shape, DType dtype, uint64_t seed) {
  return Tensor::uniform(shape, -2, 3, seed, 0, DType::f64).to(dtype);
}

// gather (index of out's shape) or index_select (a 1-d index along dim), as CudaIndex.cu calls
// them.
template <class T>
Tensor emulated_gather(const Tensor& x, int64_t dim, const Tensor& index, bool select,
                       Faults& faults) {
  Shape shape = index.shape();
  if (select) {
    shape = x.shape();
    shape[static_cast<size_t>(dim)] = index.numel();
  }
  Tensor out = Tensor::empty(shape, x.dtype());
  const cuda::Split3 os = split3(shape, dim);
  const IndexLayout layout =
      select ? IndexLayout{0, 1, 0} : IndexLayout{os.mid * os.inner, os.inner, 1};
  const void* kernel = nullptr;
  cuda::launch_gather(RecordingLaunch{&kernel}, x.data<T>(), index.data<int64_t>(), layout,
                      out.data<T>(), os, x.size(dim), faults.view(),
                      select ? IndexOp::index_select : IndexOp::gather);
  return out;
}

template <class T>
void check_gathers(DType dtype) {
  SCOPED_TRACE(dtype_name(dtype));
  const Tensor x = values({4, 9, 5}, dtype, 91);
  Faults faults;
  for (int64_t dim = 0; dim < 3; ++dim) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    Shape shape = x.shape();
    shape[static_cast<size_t>(dim)] = 7;
    const Tensor index = indices(shape, x.size(dim), 92 + dim);
    EXPECT_EQ(emulated_gather<T>(x, dim, index, false, faults).to_vector(),
              gather(x, dim, index).to_vector());
    const Tensor select = indices({11}, x.size(dim), 95 + dim);
    EXPECT_EQ(emulated_gather<T>(x, dim, select, true, faults).to_vector(),
              index_select(x, dim, select).to_vector());
  }
  EXPECT_EQ(faults.claim, 0);
}

TEST(CudaIndexEmulated, GatherAndIndexSelectAreTheCpus) {
  check_gathers<double>(DType::f64);
  check_gathers<float>(DType::f32);
  check_gathers<int64_t>(DType::i64);
}

struct AddCase {
  Shape out, index;  // index: src's shape for scatter_add, [M] for index_add
  int64_t dim;
  bool select;   // index_add
  bool by_rows;  // the kernel expected: a thread per row, else a warp per row
};

const std::vector<AddCase> kAddCases = {
    {{4, 9, 5}, {4, 30, 5}, 1, false, false},        // repeats within one chunk of 32
    {{50, 16}, {50, 100}, 1, false, false},          // inner 1 (the pooling gradient): 4 chunks
    {{3, 2, 7}, {3, 70, 7}, 1, false, false},        // two chunks, few targets: long runs of peers
    {{1024, 4, 32}, {1024, 3, 32}, 1, false, true},  // 32768 rows of neighbours
    {{6, 10, 3}, {40}, 1, true, false},              // index_add
    {{12, 5}, {33}, 0, true, false},                 // index_add along dim 0, inner 5
};

template <class T>
void check_adds(const AddCase& k, DType dtype) {
  SCOPED_TRACE(shape_str(k.out) + " from " + shape_str(k.index) +
               (k.select ? " index_add " : " scatter_add ") + dtype_name(dtype));
  const int64_t out_dim = k.out[static_cast<size_t>(k.dim)];
  const Tensor index = indices(k.index, out_dim, 101);
  Shape src_shape = k.index;
  if (k.select) {
    src_shape = k.out;
    src_shape[static_cast<size_t>(k.dim)] = k.index[0];
  }
  const Tensor src = values(src_shape, dtype, 102);
  const Tensor expected =
      k.select ? index_add(k.out, k.dim, index, src) : scatter_add(k.out, k.dim, index, src);
  Tensor out = Tensor::zeros(k.out, dtype);
  const cuda::Split3 ss = split3(src_shape, k.dim);
  const IndexLayout layout =
      k.select ? IndexLayout{0, 1, 0} : IndexLayout{ss.mid * ss.inner, ss.inner, 1};
  const void* kernel = nullptr;
  Faults faults;
  cuda::launch_scatter_add(RecordingLaunch{&kernel}, index.data<int64_t>(), layout, src.data<T>(),
                           out.data<T>(), ss, out_dim, faults.view(),
                           k.select ? IndexOp::index_add : IndexOp::scatter_add);
  EXPECT_EQ(kernel, k.by_rows ? reinterpret_cast<const void*>(cuda::scatter_add_rows_kernel<T>)
                              : reinterpret_cast<const void*>(cuda::scatter_add_warps_kernel<T>));
  EXPECT_EQ(out.to_vector(), expected.to_vector());
  EXPECT_EQ(faults.claim, 0);
}

TEST(CudaIndexEmulated, ScatterAddAndIndexAddAreTheCpusBitForBit) {
  for (const AddCase& k : kAddCases) {
    check_adds<double>(k, DType::f64);
    check_adds<float>(k, DType::f32);
  }
}

// An index out of range: the kernels skip it (gather writes 0) and one thread records it.
TEST(CudaIndexEmulated, AnIndexOutOfRangeIsSkippedAndRecorded) {
  const Tensor x = values({3, 8}, DType::f64, 111);
  std::vector<int64_t> v;
  for (double j : indices({3, 40}, 8, 112).to_vector()) v.push_back(static_cast<int64_t>(j));
  v[45] = 12;
  const Tensor bad = Tensor::from_i64(v, {3, 40});
  Faults faults;
  const Tensor out = emulated_gather<double>(x, 1, bad, false, faults);
  EXPECT_EQ(faults.claim, 1);
  EXPECT_EQ(faults.record.index, 12);
  EXPECT_EQ(faults.record.size, 8);
  EXPECT_EQ(faults.record.op, static_cast<int32_t>(IndexOp::gather));
  EXPECT_EQ(faults.record.set, 1);
  v[45] = 0;
  std::vector<double> expected = gather(x, 1, Tensor::from_i64(v, {3, 40})).to_vector();
  expected[45] = 0;
  EXPECT_EQ(out.to_vector(), expected);

  // scatter_add by a warp: the bad lane adds nothing, its peers still add in order.
  v[45] = -3;
  const Tensor src = values({3, 40}, DType::f64, 113);
  Tensor added = Tensor::zeros({3, 8}, DType::f64);
  Faults add_faults;
  const void* kernel = nullptr;
  cuda::launch_scatter_add(RecordingLaunch{&kernel}, Tensor::from_i64(v, {3, 40}).data<int64_t>(),
                           IndexLayout{40, 1, 1}, src.data<double>(), added.data<double>(),
                           split3({3, 40}, 1), 8, add_faults.view(), IndexOp::scatter_add);
  EXPECT_EQ(add_faults.record.index, -3);
  EXPECT_EQ(add_faults.record.op, static_cast<int32_t>(IndexOp::scatter_add));
  std::vector<double> kept = src.to_vector();
  kept[45] = 0;
  v[45] = 0;
  EXPECT_EQ(added.to_vector(), scatter_add({3, 8}, 1, Tensor::from_i64(v, {3, 40}),
                                           Tensor::from(kept, {3, 40}, DType::f64))
                                   .to_vector());
}

}  // namespace
}  // namespace cz
