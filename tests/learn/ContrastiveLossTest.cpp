// The contrastive losses: values against loops over the notes' formulas, mining's choices, and
// f64 first and second derivatives (through the chosen negatives).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "autograd/GradCheck.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/ContrastiveLoss.hpp"

namespace cz::learn {
namespace {

using cz::testing::gradcheck;
using cz::testing::gradgradcheck;
using cz::testing::random_f64;

constexpr int64_t kD = 3;

double at(const std::vector<double>& v, int64_t row, int64_t col, int64_t width = kD) {
  return v[static_cast<size_t>(row * width + col)];
}

double sq_dist(const std::vector<double>& a, int64_t i, const std::vector<double>& b, int64_t j) {
  double s = 0;
  for (int64_t k = 0; k < kD; ++k) s += (at(a, i, k) - at(b, j, k)) * (at(a, i, k) - at(b, j, k));
  return s;
}

double dot(const std::vector<double>& a, int64_t i, const std::vector<double>& b, int64_t j) {
  double s = 0;
  for (int64_t k = 0; k < kD; ++k) s += at(a, i, k) * at(b, j, k);
  return s;
}

// 4 anchors, 6 candidates; anchor i's candidates i and i + 1 are not negatives (its views).
Tensor negatives_mask() {
  std::vector<double> mask(24, 1.0);
  for (int64_t i = 0; i < 4; ++i) mask[static_cast<size_t>(i * 6 + i)] = mask[static_cast<size_t>(i * 6 + i + 1)] = 0;
  return Tensor::from(mask, {4, 6}, DType::f64);
}

// The loss of every anchor by loops over the definitions.
std::vector<double> triplet_reference(const Tensor& a, const Tensor& p, const Tensor& c, const Tensor& mask,
                                      double margin, Mining mining) {
  const auto va = a.to_vector(), vp = p.to_vector(), vc = c.to_vector(), vm = mask.to_vector();
  std::vector<double> out;
  for (int64_t i = 0; i < a.size(0); ++i) {
    const double dp = sq_dist(va, i, vp, i);
    double all = 0, count = 0, hardest = std::numeric_limits<double>::infinity(), semi = hardest, farthest = -hardest;
    for (int64_t j = 0; j < c.size(0); ++j) {
      if (at(vm, i, j, c.size(0)) == 0) continue;
      const double dn = sq_dist(va, i, vc, j);
      all += std::max(0.0, dp - dn + margin);
      count += 1;
      hardest = std::min(hardest, dn);
      farthest = std::max(farthest, dn);
      if (dn > dp) semi = std::min(semi, dn);
    }
    const double dn = mining == Mining::hardest ? hardest : std::isfinite(semi) ? semi : farthest;
    out.push_back(mining == Mining::none ? all / count : std::max(0.0, dp - dn + margin));
  }
  return out;
}

void expect_values(const Var& got, const std::vector<double>& want, double tolerance = 1e-12) {
  const auto v = got.data().to_vector();
  ASSERT_EQ(v.size(), want.size());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], want[i], tolerance) << "row " << i;
}

TEST(ContrastiveLoss, MiningParsesItsNamesAndRejectsOthers) {
  EXPECT_EQ(parse_mining("none"), Mining::none);
  EXPECT_EQ(parse_mining("hardest"), Mining::hardest);
  EXPECT_EQ(parse_mining("semi-hard"), Mining::semi_hard);
  EXPECT_STREQ(mining_name(Mining::semi_hard), "semi-hard");
  try {
    parse_mining("semi_hard");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--mining: none, hardest or semi-hard, got 'semi_hard'");
  }
}

TEST(ContrastiveLoss, TripletValuesAreTheHingeOfTheChosenNegatives) {
  const Tensor a = random_f64({4, kD}, 1), p = random_f64({4, kD}, 2), c = random_f64({6, kD}, 3);
  const Tensor mask = negatives_mask();
  for (const Mining mining : {Mining::none, Mining::hardest, Mining::semi_hard})
    for (const double margin : {0.2, 1.0, 3.0})
      expect_values(triplet_loss(Var(a), Var(p), Var(c), mask, margin, mining),
                    triplet_reference(a, p, c, mask, margin, mining));
}

TEST(ContrastiveLoss, MiningChoosesTheHardestAndTheSemiHardNegative) {
  // One anchor at 0 with its positive at distance^2 1; negatives at distance^2 0.25, 2.25, 4, and
  // a candidate at 0.01 that is not a negative.
  const Tensor a = Tensor::from({0, 0, 0}, {1, kD}, DType::f64), p = Tensor::from({1, 0, 0}, {1, kD}, DType::f64);
  const Tensor c = Tensor::from({0.5, 0, 0, 1.5, 0, 0, 0, 2, 0, 0.1, 0, 0}, {4, kD}, DType::f64);
  const Tensor mask = Tensor::from({1, 1, 1, 0}, {1, 4}, DType::f64);
  EXPECT_NEAR(triplet_loss(Var(a), Var(p), Var(c), mask, 0.5, Mining::hardest).item(), 1 - 0.25 + 0.5, 1e-15);
  EXPECT_NEAR(triplet_loss(Var(a), Var(p), Var(c), mask, 1.5, Mining::semi_hard).item(), 1 - 2.25 + 1.5, 1e-15);
  EXPECT_NEAR(triplet_loss(Var(a), Var(p), Var(c), mask, 0.5, Mining::none).item(), (1.25 + 0 + 0) / 3, 1e-15);
  // No negative farther than the positive: semi-hard takes the farthest.
  const Tensor near = Tensor::from({0.5, 0, 0, 0.6, 0, 0, 0, 0.7, 0, 0.1, 0, 0}, {4, kD}, DType::f64);
  EXPECT_NEAR(triplet_loss(Var(a), Var(p), Var(near), mask, 0.5, Mining::semi_hard).item(), 1 - 0.49 + 0.5, 1e-15);
}

TEST(ContrastiveLoss, TripletGradientsOfFirstAndSecondOrder) {
  const Tensor mask = negatives_mask();
  // A margin where every hinge of these points is active or clearly inactive (no kink within
  // the finite-difference steps), so the derivatives exist.
  for (const Mining mining : {Mining::none, Mining::hardest, Mining::semi_hard}) {
    auto f = [&](const std::vector<Var>& x) { return triplet_loss(x[0], x[1], x[2], mask, 1.3, mining); };
    const std::vector<Tensor> xs{random_f64({4, kD}, 11), random_f64({4, kD}, 12), random_f64({6, kD}, 13)};
    gradcheck(f, xs, std::string("triplet ") + mining_name(mining));
    gradgradcheck(f, xs, std::string("triplet ") + mining_name(mining));
  }
}

// Anchor i is candidate i (i < 4), its positive candidate i ^ 1; rows normalized.
struct Views {
  Tensor anchors, candidates, positive, self;
};
Views views() {
  const Tensor c = random_f64({6, kD}, 21);
  return {c.slice(0, 0, 4), c, Tensor::from_i64({1, 0, 3, 2}, {4}), Tensor::from_i64({0, 1, 2, 3}, {4})};
}

TEST(ContrastiveLoss, NtXentIsTheSoftmaxOverEveryCandidateButTheAnchor) {
  const Views v = views();
  const double tau = 0.5;
  const auto vc = v.candidates.to_vector();
  std::vector<double> want;
  for (int64_t i = 0; i < 4; ++i) {
    double z = 0;
    for (int64_t j = 0; j < 6; ++j)
      if (j != i) z += std::exp(dot(vc, i, vc, j) / tau);
    want.push_back(-(dot(vc, i, vc, i ^ 1) / tau - std::log(z)));
  }
  expect_values(nt_xent(Var(v.anchors), Var(v.candidates), v.positive, v.self, tau), want);
  // Without a self (-1), every candidate is in the softmax.
  const Tensor none = Tensor::from_i64({-1, -1, -1, -1}, {4});
  double z0 = 0;
  for (int64_t j = 0; j < 6; ++j) z0 += std::exp(dot(vc, 0, vc, j) / tau);
  EXPECT_NEAR(nt_xent(Var(v.anchors), Var(v.candidates), v.positive, none, tau).data().to_vector()[0],
              std::log(z0) - dot(vc, 0, vc, 1) / tau, 1e-12);
}

TEST(ContrastiveLoss, NtXentGradientsOfFirstAndSecondOrder) {
  const Views v = views();
  auto f = [&](const std::vector<Var>& x) {
    return nt_xent(l2_normalize(x[0], 1), l2_normalize(x[1], 1), v.positive, v.self, 0.3);
  };
  const std::vector<Tensor> xs{random_f64({4, kD}, 31), random_f64({6, kD}, 32)};
  gradcheck(f, xs, "nt_xent");
  gradgradcheck(f, xs, "nt_xent");
}

TEST(ContrastiveLoss, MocoIsTheSoftmaxOfThePositiveKeyAgainstTheQueue) {
  const Tensor q = random_f64({3, kD}, 41), k = random_f64({3, kD}, 42), queue = random_f64({5, kD}, 43);
  const double tau = 0.2;
  const auto vq = q.to_vector(), vk = k.to_vector(), vqueue = queue.to_vector();
  std::vector<double> want;
  for (int64_t i = 0; i < 3; ++i) {
    double z = std::exp(dot(vq, i, vk, i) / tau);
    for (int64_t j = 0; j < 5; ++j) z += std::exp(dot(vq, i, vqueue, j) / tau);
    want.push_back(std::log(z) - dot(vq, i, vk, i) / tau);
  }
  expect_values(moco_loss(Var(q), Var(k), Var(queue), tau), want);
  auto f = [&](const std::vector<Var>& x) { return moco_loss(l2_normalize(x[0], 1), x[1], x[2], tau); };
  gradcheck(f, {q, k, queue}, "moco");
  gradgradcheck(f, {q, k, queue}, "moco");
}

}  // namespace
}  // namespace cz::learn
