// Gradient checks by f64 central differences: first derivatives of a random projection of an
// op's output, and second derivatives through grad(create_graph=true).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::testing {

using Fn = std::function<Var(const std::vector<Var>&)>;

inline Tensor random_f64(const Shape& shape, uint64_t seed, double low = -1.0, double high = 1.0) {
  return Tensor::uniform(shape, low, high, seed, 0, DType::f64);
}

inline std::vector<Var> leaves(const std::vector<Tensor>& xs) {
  std::vector<Var> vs;
  for (const Tensor& x : xs) vs.emplace_back(x.clone(), true);
  return vs;
}

/// L(inputs) = sum(f(inputs) * R) for a fixed random R of f's output shape.
inline Var projected(const Fn& f, const std::vector<Var>& inputs, const Tensor& r) { return sum(f(inputs) * Var(r)); }

/// Central differences of a scalar function of the inputs' data, w.r.t. input i.
inline Tensor numeric_grad(const std::function<double(const std::vector<Tensor>&)>& scalar, std::vector<Tensor> xs,
                           size_t i, double eps) {
  Tensor g = Tensor::zeros(xs[i].shape(), DType::f64);
  Tensor x = xs[i].contiguous().clone();
  xs[i] = x;
  double* p = x.data<double>();
  double* gp = g.data<double>();
  for (int64_t k = 0; k < x.numel(); ++k) {
    const double saved = p[k];
    p[k] = saved + eps;
    const double up = scalar(xs);
    p[k] = saved - eps;
    const double down = scalar(xs);
    p[k] = saved;
    gp[k] = (up - down) / (2 * eps);
  }
  return g;
}

inline void expect_close(const Tensor& analytic, const Tensor& numeric, double atol, double rtol,
                         const std::string& what) {
  ASSERT_EQ(analytic.shape(), numeric.shape()) << what;
  const std::vector<double> a = analytic.to_vector(), n = numeric.to_vector();
  for (size_t k = 0; k < a.size(); ++k)
    ASSERT_NEAR(a[k], n[k], atol + rtol * std::abs(n[k])) << what << " element " << k;
}

/// First derivatives of f at xs (all f64) against central differences.
inline void gradcheck(const Fn& f, const std::vector<Tensor>& xs, const std::string& what, double eps = 1e-6,
                      double atol = 1e-6, double rtol = 1e-5) {
  std::vector<Var> vs = leaves(xs);
  const Var probe = f(vs);
  const Tensor r = random_f64(probe.shape(), 991);
  const Var loss = projected(f, vs, r);
  const std::vector<Var> grads = grad({loss}, vs);
  auto scalar = [&](const std::vector<Tensor>& data) {
    NoGradGuard no_grad;
    std::vector<Var> in;
    for (const Tensor& d : data) in.emplace_back(d);
    return projected(f, in, r).item();
  };
  for (size_t i = 0; i < xs.size(); ++i)
    expect_close(grads[i].data(), numeric_grad(scalar, xs, i, eps), atol, rtol, what + ": d/d input " + std::to_string(i));
}

/// Second derivatives: G(x) = sum_i <grad_i L(x), V_i>; grad of G (through create_graph)
/// against central differences of G, whose inner gradient is analytic.
inline void gradgradcheck(const Fn& f, const std::vector<Tensor>& xs, const std::string& what, double eps = 1e-5,
                          double atol = 1e-5, double rtol = 1e-4) {
  std::vector<Var> vs = leaves(xs);
  const Tensor r = random_f64(f(vs).shape(), 991);
  std::vector<Tensor> v;
  for (size_t i = 0; i < xs.size(); ++i) v.push_back(random_f64(xs[i].shape(), 17 + i));
  auto G = [&](const std::vector<Var>& in) {
    const std::vector<Var> g = grad({projected(f, in, r)}, in, {}, {.create_graph = true, .retain_graph = std::nullopt, .allow_unused = true});
    Var total;
    for (size_t i = 0; i < in.size(); ++i) {
      if (!g[i].defined()) continue;
      const Var term = sum(g[i] * Var(v[i]));
      total = total.defined() ? total + term : term;
    }
    return total;
  };
  const Var g_total = G(vs);
  if (!g_total.requires_grad()) return;  // all second derivatives are zero (piecewise-linear op)
  const std::vector<Var> analytic = grad({g_total}, vs, {}, {.create_graph = false, .retain_graph = std::nullopt, .allow_unused = true});
  auto scalar = [&](const std::vector<Tensor>& data) { return G(leaves(data)).item(); };
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor numeric = numeric_grad(scalar, xs, i, eps);
    const Tensor a = analytic[i].defined() ? analytic[i].data() : Tensor::zeros(xs[i].shape(), DType::f64);
    expect_close(a, numeric, atol, rtol, what + ": second derivative, input " + std::to_string(i));
  }
}

}  // namespace cz::testing
