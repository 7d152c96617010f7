// Where the CUDA kernels promise the CPU's bits they give them: uniform draws, dropout masks and
// the optimizer updates exactly, normal draws to the few ulps tensor/Random.hpp states, the fused
// batch norm + max-pool's window maxima on ties; batch norm over more (set, channel) pairs than
// one grid of blocks and over long channels, the same bits on every run. Skips without a GPU (the
// cross-backend test compares every kernel with the CPU to tolerances).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "cezanne/backend/Backend.hpp"
#include "cezanne/backend/CudaRuntime.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {
namespace {

const Device kGpu = Device::cuda(0);

/// Elements past one grid of 65535 blocks x 256 threads: a grid-stride loop goes round twice.
constexpr int64_t kBeyondOneGrid = 65535LL * 256 + 77;

class CudaExactness : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

std::vector<double> host_values(const Tensor& t) { return t.to(Device::cpu()).to_vector(); }

void expect_same_bits(const Tensor& gpu, const Tensor& cpu, const std::string& what) {
  ASSERT_EQ(gpu.shape(), cpu.shape()) << what;
  ASSERT_EQ(gpu.dtype(), cpu.dtype()) << what;
  const std::vector<double> g = host_values(gpu), c = host_values(cpu);
  int64_t differ = 0;
  for (size_t i = 0; i < c.size(); ++i)
    if (std::memcmp(&g[i], &c[i], sizeof(double)) != 0 && differ++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << " on the GPU, " << c[i]
                    << " on the CPU";
  EXPECT_EQ(differ, 0) << what;
}

/// |gpu - cpu| <= bound(cpu value) element for element.
template <class Bound>
void expect_within(const Tensor& gpu, const Tensor& cpu, const std::string& what, Bound bound) {
  ASSERT_EQ(gpu.shape(), cpu.shape()) << what;
  const std::vector<double> g = host_values(gpu), c = host_values(cpu);
  int64_t differ = 0;
  for (size_t i = 0; i < c.size(); ++i)
    if (!(std::abs(g[i] - c[i]) <= bound(c[i])) && differ++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << " on the GPU, " << c[i]
                    << " on the CPU";
  EXPECT_EQ(differ, 0) << what;
}

/// |gpu - cpu| <= tolerance * the largest |cpu| of the tensor (f64 1e-12, f32 1e-5).
void expect_close(const Tensor& gpu, const Tensor& cpu, const std::string& what) {
  const std::vector<double> c = host_values(cpu);
  double largest = 0;
  for (double v : c) largest = std::max(largest, std::abs(v));
  const double tolerance = (cpu.dtype() == DType::f32 ? 1e-5 : 1e-12) * std::max(largest, 1e-300);
  expect_within(gpu, cpu, what, [tolerance](double) { return tolerance; });
}

std::string name(DType dtype) { return dtype_name(dtype); }

TEST_F(CudaExactness, UniformDrawsAndDropoutMasksAreTheCpusBits) {
  const uint64_t counter = (1ULL << 32) - 5;  // the Philox counter's low word carries
  for (DType dtype : {DType::f32, DType::f64}) {
    expect_same_bits(Tensor::uniform({kBeyondOneGrid}, -2.0, 3.0, 42, counter, dtype, kGpu),
                     Tensor::uniform({kBeyondOneGrid}, -2.0, 3.0, 42, counter, dtype),
                     "uniform " + name(dtype));
    expect_same_bits(dropout_mask({kBeyondOneGrid}, 0.3, 5, counter, dtype, kGpu),
                     dropout_mask({kBeyondOneGrid}, 0.3, 5, counter, dtype, Device::cpu()),
                     "dropout " + name(dtype));
  }
  // A strided output gets element i at its row-major position, as the CPU's copy places it.
  Tensor gpu = Tensor::zeros({30, 40}, DType::f64, kGpu).transpose(0, 1);
  Tensor cpu = Tensor::zeros({30, 40}, DType::f64).transpose(0, 1);
  backend_for(kGpu).random(false, -1.0, 1.0, 7, 3, gpu);
  backend_for(Device::cpu()).random(false, -1.0, 1.0, 7, 3, cpu);
  expect_same_bits(gpu, cpu, "uniform into a transposed output");
}

TEST_F(CudaExactness, NormalDrawsDifferOnlyByTheLastBitsOfLogAndCos) {
  const int64_t n = 1 << 20;
  const double mean = 0.5, stddev = 2.0;
  // f64: stddev * z to ~1e-15 relative, |z| < 8.6; then the same rounding of mean + stddev * z.
  expect_within(Tensor::normal({n}, mean, stddev, 9, 11, DType::f64, kGpu),
                Tensor::normal({n}, mean, stddev, 9, 11, DType::f64), "normal f64",
                [&](double c) { return 1e-14 * stddev + 0x1.0p-52 * std::abs(c); });
  // f32: the double rounds to the same float, or (rarely) to its neighbour.
  expect_within(Tensor::normal({n}, mean, stddev, 9, 11, DType::f32, kGpu),
                Tensor::normal({n}, mean, stddev, 9, 11, DType::f32), "normal f32", [](double c) {
                  const float f = static_cast<float>(c);
                  return static_cast<double>(std::nextafter(std::abs(f), INFINITY) - std::abs(f));
                });
}

TEST_F(CudaExactness, OptimizerUpdatesAreTheCpusBits) {
  const int64_t n = (1 << 20) + 3;
  for (DType dtype : {DType::f32, DType::f64}) {
    const Tensor p = Tensor::uniform({n}, -1, 1, 41, 0, dtype);
    const Tensor g = Tensor::uniform({n}, -1, 1, 42, 0, dtype);
    const Tensor m = Tensor::uniform({n}, -0.1, 0.1, 43, 0, dtype);
    const Tensor v = Tensor::uniform({n}, 0.0, 0.1, 44, 0, dtype);
    for (bool decoupled : {false, true})
      for (int64_t t : {1, 7}) {
        const AdamStep step{.lr = 1e-3,
                            .beta1 = 0.9,
                            .beta2 = 0.999,
                            .eps = 1e-8,
                            .weight_decay = 0.01,
                            .decoupled = decoupled,
                            .t = t};
        Tensor pc = p.clone(), mc = m.clone(), vc = v.clone();
        Tensor pg = p.to(kGpu), mg = m.to(kGpu), vg = v.to(kGpu);
        adam_update_(step, pc, g, mc, vc);
        adam_update_(step, pg, g.to(kGpu), mg, vg);
        const std::string what =
            "adam " + name(dtype) + (decoupled ? " decoupled" : "") + " t=" + std::to_string(t);
        expect_same_bits(pg, pc, what + " p");
        expect_same_bits(mg, mc, what + " m");
        expect_same_bits(vg, vc, what + " v");
      }
    for (double momentum : {0.0, 0.9})
      for (bool nesterov : {false, true}) {
        const SgdStep step{
            .lr = 0.1, .momentum = momentum, .weight_decay = 1e-4, .nesterov = nesterov};
        Tensor pc = p.clone(), bc = m.clone();
        Tensor pg = p.to(kGpu), bg = m.to(kGpu);
        sgd_update_(step, pc, g, bc);
        sgd_update_(step, pg, g.to(kGpu), bg);
        const std::string what = "sgd " + name(dtype) + " momentum " + std::to_string(momentum) +
                                 (nesterov ? " nesterov" : "");
        expect_same_bits(pg, pc, what + " p");
        expect_same_bits(bg, bc, what + " buffer");
      }
  }
}

TEST_F(CudaExactness, FusedPoolPicksTheCpusMaximaOnTies) {
  // Multiples of 1/2 in [-2, 2]: most windows hold ties, which stay ties after normalizing.
  const Shape shape{3, 5, 4, 7, 6};
  std::vector<double> values = Tensor::uniform(shape, -2.0, 2.0, 51, 0, DType::f64).to_vector();
  for (double& v : values) v = std::round(v * 2) / 2;
  for (DType dtype : {DType::f32, DType::f64}) {
    const Tensor x = Tensor::from(values, shape, dtype);
    const Tensor gamma = Tensor::uniform({3, 4}, 0.5, 1.5, 52, 0, dtype);
    const Tensor beta = Tensor::uniform({3, 4}, -1, 1, 53, 0, dtype);
    const BatchNormPoolResult c = batch_norm_max_pool2d(x, gamma, beta, 1e-5, true);
    const BatchNormPoolResult g =
        batch_norm_max_pool2d(x.to(kGpu), gamma.to(kGpu), beta.to(kGpu), 1e-5, true);
    const std::string what = "fused pool " + name(dtype);
    expect_same_bits(g.indices, c.indices, what + " indices");
    expect_close(g.y, c.y, what + " y");
    const Tensor dy = Tensor::uniform(c.y.shape(), -1, 1, 54, 0, dtype);
    const BatchNormGrads dc =
        batch_norm_max_pool2d_backward(dy, c.indices, x, gamma, c.mean, c.var, 1e-5, true);
    const BatchNormGrads dg = batch_norm_max_pool2d_backward(
        dy.to(kGpu), g.indices, x.to(kGpu), gamma.to(kGpu), g.mean, g.var, 1e-5, true);
    expect_close(dg.x, dc.x, what + " grad x");
    expect_close(dg.gamma, dc.gamma, what + " grad gamma");
    expect_close(dg.beta, dc.beta, what + " grad beta");
  }
}

TEST_F(CudaExactness, BatchNormOverManyPairsAndLongChannelsIsDeterministic) {
  struct Case {
    Shape x;
    bool fused;
  };
  // 257 * 256 pairs: more than 65535 blocks, so blocks take several pairs; channels of 62720
  // elements (Conv4's first block at 28x28, 80 images) and of 9 (its last), odd planes.
  const std::vector<Case> cases = {{{257, 16, 256, 1}, false},
                                   {{2, 80, 3, 28, 28}, true},
                                   {{2, 80, 3, 28, 28}, false},
                                   {{4, 80, 5, 3, 3}, false},
                                   {{2, 7, 3, 5, 9}, true}};
  for (DType dtype : {DType::f32, DType::f64})
    for (const Case& k : cases) {
      const std::string what =
          std::string(k.fused ? "fused " : "") + "batch norm " + shape_str(k.x) + " " + name(dtype);
      const Shape param{k.x[0], k.x[2]};
      const Tensor x = Tensor::uniform(k.x, -2, 3, 61, 0, dtype),
                   gamma = Tensor::uniform(param, 0.5, 1.5, 62, 0, dtype),
                   beta = Tensor::uniform(param, -1, 1, 63, 0, dtype);
      auto run = [&](Device d) {
        std::vector<Tensor> out;
        if (k.fused) {
          const BatchNormPoolResult r =
              batch_norm_max_pool2d(x.to(d), gamma.to(d), beta.to(d), 1e-5, true);
          const Tensor dy = Tensor::uniform(r.y.shape(), -1, 1, 64, 0, dtype).to(d);
          const BatchNormGrads g = batch_norm_max_pool2d_backward(
              dy, r.indices, x.to(d), gamma.to(d), r.mean, r.var, 1e-5, true);
          out = {r.y, r.indices, r.mean, r.var, g.x, g.gamma, g.beta};
        } else {
          const BatchNormResult r = batch_norm(x.to(d), gamma.to(d), beta.to(d), 1e-5, true);
          const Tensor dy = Tensor::uniform(k.x, -1, 1, 64, 0, dtype).to(d);
          const BatchNormGrads g =
              batch_norm_backward(dy, x.to(d), gamma.to(d), r.mean, r.var, 1e-5, true);
          out = {r.y, r.mean, r.var, g.x, g.gamma, g.beta};
        }
        return out;
      };
      const std::vector<Tensor> cpu = run(Device::cpu()), gpu = run(kGpu), again = run(kGpu);
      for (size_t i = 0; i < cpu.size(); ++i) {
        const std::string part = what + " output " + std::to_string(i);
        if (cpu[i].dtype() == DType::i64)
          expect_same_bits(gpu[i], cpu[i], part);
        else
          expect_close(gpu[i], cpu[i], part);
        expect_same_bits(again[i], gpu[i], part + " run twice");
      }
    }
}

}  // namespace
}  // namespace cz
