// The CUDA reductions (CudaReduce.cuh), run on the host by CudaEmulation.hpp with the plan and
// the passes CudaReduce.cu launches, against the CPU backend: sums to 1e-12 (f64) / 1e-5 (f32)
// of the largest, maxima and their indices exactly. Every plan: a thread, a warp or the block per
// output, and huge reductions split into chunks that a second pass combines; rows, columns, two
// and three reduced dims, transposed, sliced and broadcast inputs; ties, NaN and infinities for
// max. Runs on every machine; on a GPU, CudaReduceTest runs the kernels themselves.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "cezanne/tensor/Ops.hpp"
#include "backend/CudaCompare.hpp"
// After every other header: the emulation defines CUDA's keywords as macros.
#include "backend/CudaEmulation.hpp"
#include "backend/cuda/CudaReduce.cuh"

namespace cz {
namespace {

using testing::expect_same;

using namespace cuda::reduce;
using cuda::kThreads;

// Launches as CudaReduce.cu does, with kThreads threads a block, on the emulation.
const cuda::emulation::Launch kLaunch{kThreads};

/// |actual - expected| <= tolerance * the largest |expected|.
void expect_close(const Tensor& actual, const Tensor& expected) {
  const std::vector<double> a = actual.to_vector(), e = expected.to_vector();
  ASSERT_EQ(a.size(), e.size());
  double largest = 0;
  for (double v : e) largest = std::max(largest, std::abs(v));
  const double tolerance = (expected.dtype() == DType::f32 ? 1e-5 : 1e-12) * largest;
  int differ = 0;
  for (size_t i = 0; i < e.size(); ++i)
    if (!(std::abs(a[i] - e[i]) <= tolerance) && differ++ < 5)
      ADD_FAILURE() << "[" << i << "]: " << a[i] << ", the CPU's " << e[i];
}

struct Case {
  std::string name;
  Shape shape;                         // of the tensor made
  std::function<Tensor(Tensor)> view;  // the reduced x as a view of it (strided, broadcast)
  std::vector<int64_t> dims;           // reduced (max: dims[0] only)
  int group;                           // the plan expected: threads per work item
  int64_t chunks;                      //   and work items per output
};

Tensor same(Tensor t) { return t; }

// Halves in [-2, 3): ties everywhere; with `special`, NaN and infinities sprinkled in (two NaN in
// a row so that the first must win, and -inf alone in a run).
Tensor input(const Shape& shape, DType dtype, bool special) {
  std::vector<double> v = Tensor::uniform(shape, -2, 3, 71, 0, DType::f64).to_vector();
  for (double& e : v) e = std::round(e * 2) / 2;
  if (special)
    for (size_t i = 7; i < v.size(); i += 1031) {
      v[i] = NAN;
      v[i - 1] = i % 2 ? NAN : INFINITY;
      v[i - 3] = -INFINITY;
    }
  return Tensor::from(v, shape, dtype);
}

template <class T>
void check(const Case& k, DType dtype, bool max) {
  SCOPED_TRACE(k.name + (max ? " max, " : " sum, ") + dtype_name(dtype));
  const Tensor x = k.view(input(k.shape, dtype, max));
  Tensor expected_indices;
  const Tensor expected =
      max ? cz::max(x, k.dims[0], true, &expected_indices) : sum(x, k.dims, true);
  Tensor out = Tensor::empty(expected.shape(), dtype);
  const Layout l = layout(x, out);
  ASSERT_EQ(l.plan.group, k.group);
  ASSERT_EQ(l.plan.chunks, k.chunks);
  if (!max) {
    run_plan<SumOp>(kLaunch, Device::cpu(), l.plan,
                    StridedSource<T, SumOp>{cuda::data<T>(x), l.kept, l.reduced},
                    SumSink<T>{out.data<T>()}, l.K, l.R);
    expect_close(out, expected);
    return;
  }
  Tensor indices = Tensor::empty(expected.shape(), DType::i64);
  run_plan<MaxOp<T>>(kLaunch, Device::cpu(), l.plan,
                     StridedSource<T, MaxOp<T>>{cuda::data<T>(x), l.kept, l.reduced},
                     MaxSink<T>{out.data<T>(), indices.data<int64_t>()}, l.K, l.R);
  expect_same(out, expected);
  EXPECT_EQ(indices.to_vector(), expected_indices.to_vector());
}

const std::vector<Case> kSumCases = {
    {"rows of 3", {5, 7, 3}, same, {2}, 1, 1},
    {"columns of 8192 outputs", {20, 8192}, same, {0}, 1, 1},
    {"rows of 100", {6, 100}, same, {1}, 32, 1},
    {"columns of 300", {300, 5}, same, {0}, 32, 1},
    {"two reduced dims", {4, 5, 6, 7}, same, {0, 2}, 32, 1},
    {"three reduced dims", {3, 4, 5, 6, 7}, same, {0, 2, 4}, 32, 1},
    {"transposed", {40, 30}, [](Tensor t) { return t.transpose(0, 1); }, {1}, 32, 1},
    {"every other row and column",
     {60, 50},
     [](Tensor t) { return t.slice(0, 1, 60, 2).slice(1, 0, 50, 2); },
     {0},
     32,
     1},
    {"broadcast rows",
     {1, 50},
     [](Tensor t) {
       return t.expand({6, 50});
     },
     {0},
     1,
     1},
    {"broadcast into a long run",
     {7, 1},
     [](Tensor t) {
       return t.expand({7, 5000});
     },
     {1},
     kThreads,
     1},
    {"a bias gradient", {8, 3, 30, 30}, same, {0, 2, 3}, kThreads, 1},
    {"a bias gradient in chunks", {24, 2, 30, 30}, same, {0, 2, 3}, kThreads, 3},
    {"a long row in chunks", {1, 100003}, same, {1}, kThreads, 13},
    {"the whole tensor in chunks", {3, 7, 1001}, same, {0, 1, 2}, kThreads, 3},
    {"long columns in chunks", {9000, 2}, same, {0}, kThreads, 2},
    {"an empty reduced dim: zeros", {3, 0, 4}, same, {1}, 1, 1},
};

// max reduces one dim.
const std::vector<Case> kMaxCases = {
    {"rows of 3", {5, 7, 3}, same, {2}, 1, 1},
    {"columns of 8192 outputs", {20, 8192}, same, {0}, 1, 1},
    {"rows of 1000", {6, 1000}, same, {1}, 32, 1},
    {"columns of 300", {300, 5}, same, {0}, 32, 1},
    {"a middle dim", {3, 200, 4}, same, {1}, 32, 1},
    {"transposed", {40, 30}, [](Tensor t) { return t.transpose(0, 1); }, {1}, 32, 1},
    {"broadcast: every element ties",
     {7, 1},
     [](Tensor t) {
       return t.expand({7, 5000});
     },
     {1},
     kThreads,
     1},
    {"rows of 6000", {3, 6000}, same, {1}, kThreads, 1},
    {"a long row in chunks", {1, 100003}, same, {1}, kThreads, 13},
    {"long columns in chunks", {30000, 2}, same, {0}, kThreads, 4},
};

TEST(CudaReduceEmulated, SumsAreTheCpusF64) {
  for (const Case& k : kSumCases) check<double>(k, DType::f64, false);
}

TEST(CudaReduceEmulated, SumsAreTheCpusF32) {
  for (const Case& k : kSumCases) check<float>(k, DType::f32, false);
}

TEST(CudaReduceEmulated, MaximaAndTheirIndicesAreTheCpusF64) {
  for (const Case& k : kMaxCases) check<double>(k, DType::f64, true);
}

TEST(CudaReduceEmulated, MaximaAndTheirIndicesAreTheCpusF32) {
  for (const Case& k : kMaxCases) check<float>(k, DType::f32, true);
}

}  // namespace
}  // namespace cz
