// SGD and Adam on the checking devices: check:0 (the CPU's fused update kernels) equals the CPU
// bit for bit, check:1 (the backend interface's composite updates) to round-off.
#include <gtest/gtest.h>

#include "cezanne/optim/Adam.hpp"
#include "cezanne/optim/SGD.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::optim {
namespace {

constexpr int64_t kN = 50;

nn::Params random_params(uint64_t seed, Device device) {
  nn::Params p({{"w", {kN}, {nn::Init::uniform, -1, 1}}}, DType::f64, device);
  p.initialize(seed);
  return p;
}

Tensor grad_at(int step, Device device) {
  return Tensor::normal({kN}, 0.0, 1.0, 77, static_cast<uint64_t>(step) * kN, DType::f64, device);
}

// Four steps of `make(params)` on `device`: the parameters and the optimizer state, on the host.
template <class Make>
std::vector<std::vector<double>> run(Device device, uint64_t seed, Make make) {
  nn::Params p = random_params(seed, device);
  auto optimizer = make(p);
  for (int t = 1; t <= 4; ++t) {
    p.flat_grad().copy_(grad_at(t, device));
    optimizer.step();
  }
  std::vector<std::vector<double>> out{p.flat().to_vector()};
  for (const auto& [name, tensor] : optimizer.state()) out.push_back(tensor.to_vector());
  return out;
}

template <class Make>
void expect_devices_agree(uint64_t seed, Make make, const std::string& label) {
  const auto cpu = run(Device::cpu(), seed, make);
  EXPECT_EQ(run(Device::check(0), seed, make), cpu) << label;
  const auto composite = run(Device::check(1), seed, make);
  ASSERT_EQ(composite.size(), cpu.size());
  for (size_t i = 0; i < cpu.size(); ++i)
    for (size_t k = 0; k < cpu[i].size(); ++k)
      EXPECT_NEAR(composite[i][k], cpu[i][k], 1e-12) << label << " " << i;
}

TEST(OptimizerDevices, AdamAndAdamWMatchTheCpu) {
  for (bool decoupled : {false, true})
    expect_devices_agree(
        1, [&](nn::Params& p) { return Adam(p, 0.01, 0.8, 0.99, 1e-6, 0.1, decoupled); },
        decoupled ? "AdamW" : "Adam");
}

TEST(OptimizerDevices, SgdMatchesTheCpu) {
  for (bool nesterov : {false, true})
    expect_devices_agree(
        2, [&](nn::Params& p) { return SGD(p, 0.05, 0.9, 0.01, nesterov); },
        nesterov ? "nesterov" : "momentum");
}

}  // namespace
}  // namespace cz::optim
