// Spec helpers of common layers.
#include "cezanne/nn/ParamSpec.hpp"

#include <cmath>

namespace cz::nn {

std::vector<ParamSpec> linear_specs(const std::string& prefix, int64_t in, int64_t out, bool bias,
                                    Init weight_init) {
  std::vector<ParamSpec> specs{{prefix + ".weight", {out, in}, weight_init}};
  if (bias) specs.push_back({prefix + ".bias", {out}, {Init::zeros}});
  return specs;
}

std::vector<ParamSpec> lstm_cell_specs(const std::string& prefix, int64_t input, int64_t hidden) {
  const double k = hidden > 0 ? 1.0 / std::sqrt(static_cast<double>(hidden)) : 0.0;
  const Init init{Init::uniform, -k, k};
  return {{prefix + ".w_ih", {4 * hidden, input}, init},
          {prefix + ".w_hh", {4 * hidden, hidden}, init},
          {prefix + ".bias", {4 * hidden}, init}};
}

}  // namespace cz::nn
