// The CUDA element-wise kernels (CudaElementwise.cuh), run on the host by CudaEmulation.hpp with
// grids too small for their tensors (the grid-stride loops wrap), against the CPU backend: every
// UnaryOp and BinaryOp, the scalar forms, where, fill and copy between dtypes, on each of the
// three kernels (contiguous, one strided run, any layout), with broadcast operands, outputs that
// are views, 0-d tensors and empty ones. The functors are the CPU's expressions and the host runs
// both with the same libm, so the results must be the CPU's bit for bit (NaN where it has NaN).
// Runs on every machine; on a GPU, CudaExactnessTest runs the kernels themselves.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "cezanne/backend/Backend.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "backend/CudaCompare.hpp"
// After every other header: the emulation defines CUDA's keywords as macros.
#include "backend/CudaEmulation.hpp"
#include "backend/cuda/CudaElementwise.cuh"

namespace cz {
namespace {

using testing::expect_same;

using namespace cuda::elementwise;

Backend& cpu() { return backend_for(Device::cpu()); }

template <class TO, class TI, int N, class F>
void emulate(Tensor& out, const std::array<const Tensor*, N>& inputs, F f) {
  map<TO, TI, N>(cuda::emulation::GridLaunch{}, out, inputs, f);
}

constexpr int64_t kWide = 10;
const Shape kShape = {4, 6, 5};  // 120 elements: more than the 96 threads of a grid

/// What an operand holds.
enum class Values {
  mixed,   // [-3, 3), a third rounded to halves (ties between operands), a zero, NaN, infinities
  finite,  // the same without NaN and infinities (converted to integers)
  mask,    // ones, zeros and a NaN (which is not zero): a condition
};

std::vector<double> values(int64_t n, uint64_t seed, Values kind) {
  std::vector<double> v = Tensor::uniform({n}, -3, 3, seed, 0, DType::f64).to_vector();
  for (size_t i = 0; i < v.size(); i += 3) v[i] = std::round(v[i] * 2) / 2;
  if (kind == Values::mask)
    for (double& x : v) x = x > 0 ? 1 : 0;
  if (n > 20) {
    v[4] = 0;
    if (kind != Values::finite) v[7] = NAN;
    if (kind == Values::mixed) {
      v[11] = INFINITY;
      v[13] = -INFINITY;
    }
  }
  return v;
}

/// An operand of kShape in one of the layouts the kernels take apart.
struct Operand {
  std::string name;
  Path path;  // the kernel when every operand (and the output) is laid out as this one
  std::function<Tensor(DType, uint64_t, Values)> make;
};

const std::vector<Operand>& operands() {
  static const std::vector<Operand> all = {
      {"contiguous", Path::contiguous,
       [](DType d, uint64_t seed, Values kind) {
         return Tensor::from(values(120, seed, kind), kShape, d);
       }},
      // Every other element of a wider tensor: one run of stride 2.
      {"every other", Path::strided,
       [](DType d, uint64_t seed, Values kind) {
         return Tensor::from(values(240, seed, kind), {4, 6, kWide}, d).slice(2, 0, kWide, 2);
       }},
      {"a broadcast scalar", Path::strided,
       [](DType d, uint64_t seed, Values kind) {
         return Tensor::from(values(1, seed, kind), {1, 1, 1}, d).expand(kShape);
       }},
      {"transposed", Path::layout,
       [](DType d, uint64_t seed, Values kind) {
         return Tensor::from(values(120, seed, kind), {5, 6, 4}, d).permute({2, 1, 0});
       }},
      {"a broadcast row", Path::layout,
       [](DType d, uint64_t seed, Values kind) {
         return Tensor::from(values(6, seed, kind), {1, 6, 1}, d).expand(kShape);
       }},
  };
  return all;
}

/// An output laid out as `like` (a broadcast operand's output is contiguous: outputs are written
/// once per element), NaN-filled so that an element the kernel skips shows.
Tensor output_like(const Operand& like, DType d) {
  if (like.name == "every other") return Tensor::full({4, 6, kWide}, NAN, d).slice(2, 0, kWide, 2);
  if (like.name == "transposed") return Tensor::full({5, 6, 4}, NAN, d).permute({2, 1, 0});
  return Tensor::full(kShape, NAN, d);
}

template <class T>
void check_unary_forms(DType d) {
  for (const Operand& o : operands()) {
    SCOPED_TRACE(o.name + ", " + dtype_name(d));
    const Tensor x = o.make(d, 71, Values::mixed);
    const auto run = [&](const std::string& what, auto functor, auto on_cpu) {
      Tensor actual = output_like(o, d), expected = output_like(o, d);
      emulate<T, T, 1>(actual, {&x}, functor);
      on_cpu(expected);
      expect_same(actual, expected, what);
    };
    for (int k = 0; k <= static_cast<int>(UnaryOp::erf); ++k) {
      const UnaryOp op = static_cast<UnaryOp>(k);
      dispatch_op<UnaryOp, UnaryOp::neg, UnaryOp::exp, UnaryOp::log, UnaryOp::sqrt, UnaryOp::rsqrt,
                  UnaryOp::abs, UnaryOp::sign, UnaryOp::sigmoid, UnaryOp::tanh, UnaryOp::relu,
                  UnaryOp::reciprocal, UnaryOp::square, UnaryOp::erf>(op, [&]<UnaryOp Op>() {
        run(op_name(op), Unary<Op>{}, [&](Tensor& out) { cpu().unary(op, x, out); });
      });
    }
    run("affine", Affine<T>{T(-1.5), T(0.25)},
        [&](Tensor& out) { cpu().affine(x, -1.5, 0.25, out); });
    run("clamp", Clamp<T>{T(-1), T(2)}, [&](Tensor& out) { cpu().clamp(x, -1, 2, out); });
    run("in range", InRange<T>{T(-1), T(0.5)},
        [&](Tensor& out) { cpu().in_range_mask(x, -1, 0.5, out); });
    run("pow 0.5", PowScalar<T>{T(0.5)}, [&](Tensor& out) { cpu().pow_scalar(x, 0.5, out); });
    run("pow -1.5", PowScalar<T>{T(-1.5)}, [&](Tensor& out) { cpu().pow_scalar(x, -1.5, out); });
    run("pow 3", PowScalar<T>{T(3)}, [&](Tensor& out) { cpu().pow_scalar(x, 3, out); });
    run("identity (pow 1)", Identity<T>{}, [&](Tensor& out) { cpu().pow_scalar(x, 1, out); });
  }
}

TEST(CudaElementwiseEmulated, UnaryOpsAndScalarFormsAreTheCpusF64) {
  check_unary_forms<double>(DType::f64);
}
TEST(CudaElementwiseEmulated, UnaryOpsAndScalarFormsAreTheCpusF32) {
  check_unary_forms<float>(DType::f32);
}

template <class T>
void check_binary_and_where(DType d) {
  // Every pair of operand layouts: a contiguous operand next to a strided one takes the layout
  // kernel or the strided one, as coalescing decides.
  for (const Operand& oa : operands())
    for (const Operand& ob : operands()) {
      SCOPED_TRACE(oa.name + " and " + ob.name + ", " + dtype_name(d));
      const Tensor a = oa.make(d, 72, Values::mixed), b = ob.make(d, 73, Values::mixed);
      for (int k = 0; k <= static_cast<int>(BinaryOp::eq); ++k) {
        const BinaryOp op = static_cast<BinaryOp>(k);
        Tensor actual = output_like(oa, d), expected = output_like(oa, d);
        dispatch_op<BinaryOp, BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div,
                    BinaryOp::pow, BinaryOp::maximum, BinaryOp::minimum, BinaryOp::gt, BinaryOp::ge,
                    BinaryOp::lt, BinaryOp::le, BinaryOp::eq>(op, [&]<BinaryOp Op>() {
          emulate<T, T, 2>(actual, {&a, &b}, Binary<Op>{});
        });
        cpu().binary(op, a, b, expected);
        expect_same(actual, expected, op_name(op));
      }
      // The condition in a third layout.
      const Operand& oc = operands()[(&oa - &operands()[0] + 2) % operands().size()];
      const Tensor condition = oc.make(d, 74, Values::mask);
      Tensor actual = output_like(ob, d), expected = output_like(ob, d);
      emulate<T, T, 3>(actual, {&condition, &a, &b}, Where<T>{});
      cpu().where(condition, a, b, expected);
      expect_same(actual, expected, "where");
    }
}

TEST(CudaElementwiseEmulated, BinaryOpsAndWhereAreTheCpusF64) {
  check_binary_and_where<double>(DType::f64);
}
TEST(CudaElementwiseEmulated, BinaryOpsAndWhereAreTheCpusF32) {
  check_binary_and_where<float>(DType::f32);
}

TEST(CudaElementwiseEmulated, EachLayoutTakesItsKernel) {
  for (const Operand& o : operands()) {
    const Tensor x = o.make(DType::f64, 75, Values::mixed);
    Tensor out = output_like(o, DType::f64);
    EXPECT_EQ(path(coalesce<2>(kShape, {&out, &x})), o.path) << o.name;
  }
  const Tensor scalar = Tensor::scalar(2, DType::f64);
  Tensor out = Tensor::scalar(0, DType::f64);
  EXPECT_EQ(path(coalesce<2>({}, {&out, &scalar})), Path::strided) << "0-d";
}

TEST(CudaElementwiseEmulated, CopyBetweenDtypesAndFillAreTheCpus) {
  const std::vector<DType> dtypes = {DType::f32, DType::f64, DType::i64};
  for (const Operand& o : operands())
    for (DType from : dtypes)
      for (DType to : dtypes) {
        SCOPED_TRACE(o.name + ", " + dtype_name(from) + " to " + dtype_name(to));
        // Integers keep NaN and infinities out (their conversion is undefined).
        const bool integers = from == DType::i64 || to == DType::i64;
        const Tensor src = o.make(from, 76, integers ? Values::finite : Values::mixed);
        Tensor actual = output_like(o, to), expected = output_like(o, to);
        cuda::dispatch_all(to, [&](auto t) {
          cuda::dispatch_all(from, [&](auto f) {
            using TO = decltype(t);
            using TI = decltype(f);
            emulate<TO, TI, 1>(actual, {&src}, Convert<TO, TI>{});
          });
        });
        cpu().copy(src, expected);
        expect_same(actual, expected, "copy");
      }
  for (DType d : dtypes) {
    Tensor actual = output_like(operands()[1], d), expected = output_like(operands()[1], d);
    cuda::dispatch_all(d, [&](auto t) {
      using T = decltype(t);
      emulate<T, T, 0>(actual, {}, Constant<T>{T(-7)});
    });
    cpu().fill(expected, -7);
    expect_same(actual, expected, std::string("fill ") + dtype_name(d));
  }
}

TEST(CudaElementwiseEmulated, ZeroDimensionalAndEmptyTensors) {
  const Tensor x = Tensor::scalar(-2.5, DType::f64), y = Tensor::scalar(4, DType::f64);
  Tensor out = Tensor::scalar(NAN, DType::f64);
  emulate<double, double, 2>(out, {&x, &y}, Binary<BinaryOp::mul>{});
  EXPECT_EQ(out.to_vector(), std::vector<double>{-10});
  // No elements: nothing launched.
  Tensor empty = Tensor::empty({0, 3}, DType::f64);
  int launches = 0;
  map<double, double, 0>([&](auto...) { ++launches; }, empty, {}, Constant<double>{1});
  EXPECT_EQ(launches, 0);
}

}  // namespace
}  // namespace cz
