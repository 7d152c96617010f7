// Contrastive objectives across ranks: global negatives give each rank the gradient of its slice,
// so the summed gradient is one process's gradient of the whole batch (f64, round-off); MoCo's
// queue and key encoder come out the same on every rank and as one process computes them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/learn/Contrastive.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/train/CommunicatorCollectives.hpp"
#include "dist/MpiTestMain.hpp"

namespace cz::learn {
namespace {

using dist::Communicator;
using dist::test::world;

constexpr int64_t kRows = 4, kExamples = 3;  // the step's global batch: 4 rows of 3 examples
constexpr uint64_t kSeed = 11;
constexpr int64_t kProjection = 8;

// One process: the collectives of a world of one rank.
class OneProcess final : public Collectives {
 public:
  Tensor sum(const Tensor& t) override { return t.clone(); }
  GatheredRows gather_rows(const Tensor& rows) override { return {rows.clone(), 0}; }
};

ContrastiveSpec small(Contrast contrast, bool global) {
  ContrastiveSpec s;
  s.contrast = contrast;
  s.filters = 4;
  s.image = 16;
  s.projection = kProjection;
  s.margin = 0.5;
  s.mining = Mining::hardest;
  s.global_negatives = global;
  s.queue = 2 * kRows * kExamples;
  s.momentum = 0.9;
  return s;
}

// The whole batch of step `step`: every slot's examples (each rank takes its rows).
data::TaskBatch whole(int64_t step) {
  data::TaskBatch b;
  b.inputs = Tensor::uniform({kRows, kExamples, 1, 16, 16}, 0.0, 1.0, 100 + static_cast<uint64_t>(step));
  b.class_ids = b.example_ids = Tensor::zeros({kRows, kExamples}, DType::i64);
  for (int64_t s = 0; s < kRows; ++s) b.slots.push_back(s);
  b.step = step;
  return b;
}

data::TaskBatch mine(const data::TaskBatch& all, const Communicator& c) {
  const std::vector<int64_t> rows = owned_tasks(kRows, c.rank(), c.size());
  return all.rows(rows.front(), rows.back() + 1);
}

std::vector<double> flat(const std::vector<Var>& grads) {
  std::vector<double> out;
  for (const Var& g : grads)
    for (const double v : g.data().to_vector()) out.push_back(v);
  return out;
}

double max_rel_diff(const std::vector<double>& x, const std::vector<double>& y) {
  double scale = 1e-300, diff = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    scale = std::max(scale, std::abs(y[i]));
    diff = std::max(diff, std::abs(x[i] - y[i]));
  }
  return diff / scale;
}

class ContrastiveRanks : public ::testing::TestWithParam<Contrast> {};

TEST_P(ContrastiveRanks, GlobalNegativesGradientIsTheSingleProcessGradientOfTheWholeBatch) {
  Communicator& c = world();
  ASSERT_EQ(kRows % c.size(), 0) << "every rank holds a row";
  train::CommunicatorCollectives ranks(c);
  const Contrastive global(small(GetParam(), true), kExamples), local(small(GetParam(), false), kExamples);
  nn::Params params(global.specs(), DType::f64);
  params.initialize(3);
  const data::TaskBatch all = whole(5);

  const Var losses = global.step_losses(params.list(), {}, mine(all, c), kSeed, ranks);
  ASSERT_EQ(losses.size(0), kRows / c.size());
  std::vector<double> g = flat(grad({sum(losses)}, params.list()));
  c.allreduce_sum(std::span<double>(g));  // what the trainer's reducer does
  const double total = c.allreduce_value(sum(losses).item(), dist::ReduceOp::sum);

  // One process, the whole batch, local negatives: every example is a negative of every other.
  const Var reference = local.losses(params.list(), all, kSeed);
  const std::vector<double> g_ref = flat(grad({sum(reference)}, params.list()));
  ASSERT_EQ(g.size(), g_ref.size());
  EXPECT_LT(max_rel_diff(g, g_ref), 1e-12);
  EXPECT_NEAR(total, sum(reference).item(), 1e-12 * std::abs(sum(reference).item()));
  EXPECT_GT(std::abs(g_ref.front()) + std::abs(g_ref.back()), 0.0);
}

// With local negatives on more than one rank the batch of negatives is the rank's own, which is
// a different loss: the check above is not vacuous. On one rank the two coincide.
TEST_P(ContrastiveRanks, LocalNegativesAreTheRanksOwn) {
  Communicator& c = world();
  train::CommunicatorCollectives ranks(c);
  const Contrastive local(small(GetParam(), false), kExamples);
  nn::Params params(local.specs(), DType::f64);
  params.initialize(3);
  const data::TaskBatch all = whole(5);
  const double total = c.allreduce_value(sum(local.step_losses(params.list(), {}, mine(all, c), kSeed, ranks)).item(),
                                         dist::ReduceOp::sum);
  const double whole_batch = sum(local.losses(params.list(), all, kSeed)).item();
  if (c.size() == 1) {
    EXPECT_NEAR(total, whole_batch, 1e-12 * std::abs(whole_batch));
  } else {
    EXPECT_GT(std::abs(total - whole_batch), 1e-6);
  }
}

INSTANTIATE_TEST_SUITE_P(Losses, ContrastiveRanks, ::testing::Values(Contrast::triplet, Contrast::nt_xent),
                         [](const auto& info) { return std::string(contrast_name(info.param)); });

// The queue and the key encoder after three steps: the same bits on every rank, and (within
// round-off) what one process gets from the whole batches; the key encoder moved by momentum.
TEST(ContrastiveMoco, QueueAndKeyEncoderAreIdenticalOnEveryRankAndMatchOneProcess) {
  Communicator& c = world();
  train::CommunicatorCollectives ranks(c);
  OneProcess alone;
  const Contrastive moco(small(Contrast::moco, false), kExamples);
  nn::Params params(moco.specs(), DType::f64);
  params.initialize(3);
  const std::vector<double> theta0 = flat(params.list());
  UnlabelledObjective::State state = moco.initial_state(params.list(), kSeed),
                             reference = moco.initial_state(params.list(), kSeed);
  for (int64_t step = 0; step < 3; ++step) {
    // The optimizer's step, the same on every rank: theta scaled by 1.1.
    for (const Var& p : params.list()) {
      Tensor data = p.data();
      data.copy_(affine(data, 1.1, 0.0));
    }
    moco.update_state(state, params.list(), mine(whole(step), c), kSeed, ranks);
    moco.update_state(reference, params.list(), whole(step), kSeed, alone);
  }
  ASSERT_EQ(state.size(), reference.size());
  for (size_t i = 0; i < state.size(); ++i) {
    const auto& [name, tensor] = state[i];
    ASSERT_EQ(name, reference[i].first);
    std::vector<double> v = tensor.to_vector(), highest = v, lowest = v;
    for (double& x : lowest) x = -x;
    c.allreduce(highest.data(), highest.size(), dist::DataType::f64, dist::ReduceOp::max);
    c.allreduce(lowest.data(), lowest.size(), dist::DataType::f64, dist::ReduceOp::max);
    for (size_t k = 0; k < v.size(); ++k) {
      ASSERT_EQ(highest[k], v[k]) << name << " differs across ranks at " << k;
      ASSERT_EQ(-lowest[k], v[k]) << name << " differs across ranks at " << k;
    }
    EXPECT_LT(max_rel_diff(v, reference[i].second.to_vector()), 1e-12) << name;
  }
  // Three steps of 12 keys in a queue of 24: the next keys overwrite row 12.
  EXPECT_EQ(state.back().first, "moco.next");
  EXPECT_EQ(state.back().second.to_vector(), std::vector<double>{12});
  // key_3 = 0.9 key_2 + 0.1 theta_3, key_0 = theta_0, theta_s = 1.1^s theta_0.
  double factor = 1.0;
  for (int s = 1; s <= 3; ++s) factor = 0.9 * factor + 0.1 * std::pow(1.1, s);
  const std::vector<double> key = state.front().second.to_vector();
  for (size_t k = 0; k < key.size(); ++k) ASSERT_NEAR(key[k], factor * theta0[k], 1e-12 * (1 + std::abs(theta0[k])));
  // The queue holds unit rows: the step's keys (rows 0..11 from step 2) and the initial ones.
  const std::vector<double> queue = state[state.size() - 2].second.to_vector();
  for (int64_t r = 0; r < 24; ++r) {
    double norm = 0;
    for (int64_t d = 0; d < kProjection; ++d) {
      const double x = queue[static_cast<size_t>(r * kProjection + d)];
      norm += x * x;
    }
    EXPECT_NEAR(norm, 1.0, 1e-12) << "row " << r;
  }
}

}  // namespace
}  // namespace cz::learn

CZ_MPI_TEST_MAIN()
