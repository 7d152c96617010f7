// The device-generic (tensor-op) updates agree with the CPU loops of SGD and Adam.
#include "optim/TensorUpdate.hpp"

#include <gtest/gtest.h>

#include "cezanne/optim/Adam.hpp"
#include "cezanne/optim/SGD.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::optim {
namespace {

constexpr int64_t kN = 50;

nn::Params random_params(uint64_t seed) {
  nn::Params p({{"w", {kN}, {nn::Init::uniform, -1, 1}}}, DType::f64);
  p.initialize(seed);
  return p;
}

Tensor grad_at(int step) {
  return Tensor::normal({kN}, 0.0, 1.0, 77, static_cast<uint64_t>(step) * kN, DType::f64);
}

TEST(TensorUpdate, AdamAndAdamWMatchTheLoops) {
  for (bool decoupled : {false, true}) {
    nn::Params p = random_params(1);
    Tensor q = p.flat().clone(), m = Tensor::zeros({kN}, DType::f64),
           v = Tensor::zeros({kN}, DType::f64);
    Adam adam(p, 0.01, 0.8, 0.99, 1e-6, 0.1, decoupled);
    for (int t = 1; t <= 4; ++t) {
      p.flat_grad().copy_(grad_at(t));
      adam.step();
      detail::adam_update(q, grad_at(t), m, v, 0.01, 0.8, 0.99, 1e-6, 0.1, decoupled, t);
    }
    EXPECT_LT(max_abs_diff(p.flat(), q), 1e-12) << "decoupled " << decoupled;
    EXPECT_LT(max_abs_diff(adam.state().at("exp_avg_sq"), v), 1e-12);
  }
}

TEST(TensorUpdate, SgdMatchesTheLoop) {
  for (bool nesterov : {false, true}) {
    nn::Params p = random_params(2);
    Tensor q = p.flat().clone(), buf = Tensor::zeros({kN}, DType::f64);
    SGD sgd(p, 0.05, 0.9, 0.01, nesterov);
    for (int t = 1; t <= 4; ++t) {
      p.flat_grad().copy_(grad_at(t));
      sgd.step();
      detail::sgd_update(q, grad_at(t), buf, 0.05, 0.9, 0.01, nesterov);
    }
    EXPECT_LT(max_abs_diff(p.flat(), q), 1e-12) << "nesterov " << nesterov;
  }
}

}  // namespace
}  // namespace cz::optim
