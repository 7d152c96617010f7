// Differentiable allgather against a single-process computation of the same global loss.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/Allgather.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/tensor/Random.hpp"
#include "cezanne/train/CommunicatorCollectives.hpp"
#include "dist/MpiTestMain.hpp"

namespace cz::learn {
namespace {

using dist::Communicator;
using dist::test::world;

constexpr int64_t kDim = 3;
constexpr double kTau = 0.7;

int64_t rows_of(int rank) { return 2 + rank; }  // uneven row counts across ranks

// Rank r's embeddings, a pure function of r (so every rank can rebuild every slice).
Tensor embeddings(int rank) {
  CounterRng rng(mix_key({0xa11ea7e5ull, static_cast<uint64_t>(rank)}));
  std::vector<double> v(static_cast<size_t>(rows_of(rank) * kDim));
  for (double& x : v) x = rng.normal();
  return Tensor::from(v, {rows_of(rank), kDim}, DType::f64);
}

// Rank r's share of the global loss: its rows are anchors, every gathered row a candidate
// (the positive of global row g is row g+1), plus a per-row term on all gathered rows that
// each rank weights differently, so the ranks' gradients into a slice differ.
Var rank_loss(const Var& anchors, const Var& gathered, int rank, int64_t first_row, int world_size) {
  const int64_t n = anchors.size(0), total = gathered.size(0);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = (first_row + i + 1) % total;
  const Var logits = matmul(anchors, transpose(gathered, 0, 1)) * (1.0 / kTau);  // [n, N]
  const Var contrastive =
      cross_entropy(logits, Tensor::from_i64(labels, {n}, anchors.data().device())) * static_cast<double>(n);
  const double weight = (rank + 1.0) / world_size;
  return contrastive + sum(tanh(gathered) * tanh(gathered)) * weight;
}

int64_t first_row(int rank) {
  int64_t f = 0;
  for (int s = 0; s < rank; ++s) f += rows_of(s);
  return f;
}

struct Reference {
  std::vector<Var> slices;  // leaves, one per rank
  Var total;
};

// All P slices on one process, no communication.
Reference reference(int world_size) {
  Reference ref;
  for (int s = 0; s < world_size; ++s) ref.slices.emplace_back(embeddings(s), true);
  const Var all = cat(ref.slices, 0);
  for (int s = 0; s < world_size; ++s) {
    const Var l = rank_loss(ref.slices[static_cast<size_t>(s)], all, s, first_row(s), world_size);
    ref.total = ref.total.defined() ? ref.total + l : l;
  }
  return ref;
}

double max_rel_diff(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector(), y = b.to_vector();
  double scale = 1e-300, diff = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    scale = std::max(scale, std::abs(y[i]));
    diff = std::max(diff, std::abs(x[i] - y[i]));
  }
  return diff / scale;
}

TEST(Allgather, ForwardIsTheConcatenationInRankOrder) {
  Communicator& c = world();
  train::CommunicatorCollectives ranks(c);
  const Var local(embeddings(c.rank()), true);
  const Var gathered = allgather(ranks, local);
  std::vector<Tensor> parts;
  for (int s = 0; s < c.size(); ++s) parts.push_back(embeddings(s));
  const Tensor expected = cz::cat(parts, 0);
  ASSERT_EQ(gathered.shape(), expected.shape());
  EXPECT_EQ(gathered.data().to_vector(), expected.to_vector());
}

TEST(Allgather, BackwardMatchesSingleProcess) {
  Communicator& c = world();
  train::CommunicatorCollectives ranks(c);
  const Var local(embeddings(c.rank()), true);
  const Var loss = rank_loss(local, allgather(ranks, local), c.rank(), first_row(c.rank()), c.size());
  const Var g = grad({loss}, {local})[0];

  Reference ref = reference(c.size());
  const Var g_ref = grad({ref.total}, {ref.slices[static_cast<size_t>(c.rank())]})[0];
  ASSERT_EQ(g.shape(), g_ref.shape());
  EXPECT_LT(max_rel_diff(g.data(), g_ref.data()), 1e-12);
  // The global loss is the sum of the ranks' losses.
  EXPECT_NEAR(c.allreduce_value(loss.item(), dist::ReduceOp::sum), ref.total.item(), 1e-12 * std::abs(ref.total.item()));
}

TEST(Allgather, ADeviceTensorGoesThroughHostCopiesAndMatchesTheCpu) {
  Communicator& c = world();
  train::CommunicatorCollectives ranks(c);
  auto gradient = [&](Device device) {
    const Var local(embeddings(c.rank()).to(device), true);
    const Var gathered = allgather(ranks, local);
    EXPECT_EQ(gathered.data().device(), device);
    const Var loss = rank_loss(local, gathered, c.rank(), first_row(c.rank()), c.size());
    return grad({loss}, {local})[0].data().to_vector();
  };
  EXPECT_EQ(gradient(Device::check()), gradient(Device::cpu()));
}

TEST(Allgather, AccumulatesIntoLeafGradients) {
  Communicator& c = world();
  train::CommunicatorCollectives ranks(c);
  Var local(embeddings(c.rank()), true);
  rank_loss(local, allgather(ranks, local), c.rank(), first_row(c.rank()), c.size()).backward();
  Reference ref = reference(c.size());
  ref.total.backward();
  EXPECT_LT(max_rel_diff(local.grad(), ref.slices[static_cast<size_t>(c.rank())].grad()), 1e-12);
}

TEST(Allgather, GradientOfGradientMatchesSingleProcess) {
  // H = sum over ranks of |dL/dX_r|^2; its gradient needs the backward of the backward,
  // whose allreduce is itself a recorded op.
  Communicator& c = world();
  train::CommunicatorCollectives ranks(c);
  const Var local(embeddings(c.rank()), true);
  const Var loss = rank_loss(local, allgather(ranks, local), c.rank(), first_row(c.rank()), c.size());
  const Var g = grad({loss}, {local}, {}, GradOptions{.create_graph = true, .retain_graph = std::nullopt})[0];
  const Var h = sum(g * g);
  const Var dh = grad({h}, {local})[0];

  Reference ref = reference(c.size());
  std::vector<Var> g_ref = grad({ref.total}, ref.slices, {}, GradOptions{.create_graph = true, .retain_graph = std::nullopt});
  Var h_ref;
  for (const Var& gs : g_ref) h_ref = h_ref.defined() ? h_ref + sum(gs * gs) : sum(gs * gs);
  const Var dh_ref = grad({h_ref}, {ref.slices[static_cast<size_t>(c.rank())]})[0];
  EXPECT_LT(max_rel_diff(dh.data(), dh_ref.data()), 1e-10);
}

TEST(Allgather, MismatchedRowWidthIsReported) {
  Communicator& c = world();
  train::CommunicatorCollectives ranks(c);
  const Var local(Tensor::zeros({2, c.rank() == 0 ? 3 : 4}, DType::f64), true);
  if (c.size() == 1) {
    EXPECT_EQ(allgather(ranks, local).shape(), (Shape{2, 3}));
    return;
  }
  EXPECT_THROW(allgather(ranks, local), dist::DistError);
}

TEST(Allgather, AllreduceSumForwardAndBackward) {
  Communicator& c = world();
  train::CommunicatorCollectives ranks(c);
  const Var x(Tensor::full({2, 2}, c.rank() + 1.0, DType::f64), true);
  const Var y = allreduce_sum(ranks, x);
  for (double v : y.data().to_vector()) EXPECT_EQ(v, c.size() * (c.size() + 1) / 2.0);
  // L = sum_r (r+1) * sum(y): dL/dx_r = sum_s (s+1) for every element.
  const Var g = grad({sum(y) * (c.rank() + 1.0)}, {x})[0];
  for (double v : g.data().to_vector()) EXPECT_EQ(v, c.size() * (c.size() + 1) / 2.0);
  EXPECT_EQ(x.data().to_vector()[0], c.rank() + 1.0);  // the input is not reduced in place
}

}  // namespace
}  // namespace cz::learn

CZ_MPI_TEST_MAIN()
