// ParamSpec: what a model declares about one parameter (name, shape, initializer).
#pragma once

#include <string>
#include <vector>

#include "cezanne/autograd/Var.hpp"
#include "cezanne/nn/Init.hpp"

namespace cz::nn {

/// The explicit parameter list a functional model is called with (design §2): theta, or an
/// adapted phi = theta - alpha * grad, or per-task parameters with a leading task axis.
using ParamList = std::vector<Var>;

/// One parameter of a model: `name` (dotted, e.g. "block0.conv.weight"), `shape`, `init`.
struct ParamSpec {
  std::string name;
  Shape shape;
  Init init = {};
};

/// Specs of a linear layer: "<prefix>.weight" [out, in] (`weight_init`) and, if `bias`,
/// "<prefix>.bias" [out] (zeros).
std::vector<ParamSpec> linear_specs(const std::string& prefix, int64_t in, int64_t out,
                                    bool bias = true,
                                    Init weight_init = {Init::kaiming_uniform, 1.0});

/// Specs of an LSTM cell: "<prefix>.w_ih" [4H, in], "<prefix>.w_hh" [4H, H], "<prefix>.bias" [4H],
/// all U(-1/sqrt(H), 1/sqrt(H)) as in PyTorch.
std::vector<ParamSpec> lstm_cell_specs(const std::string& prefix, int64_t input, int64_t hidden);

}  // namespace cz::nn
