// Parameter initializers.
#include "cezanne/nn/Init.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace cz::nn {

std::pair<int64_t, int64_t> fans(const Shape& shape) {
  if (shape.empty()) return {1, 1};
  if (shape.size() == 1) return {shape[0], shape[0]};
  int64_t receptive = 1;
  for (size_t d = 2; d < shape.size(); ++d) receptive *= shape[d];
  return {shape[1] * receptive, shape[0] * receptive};
}

double init_bound(const Init& init, const Shape& shape) {
  const auto [fan_in, fan_out] = fans(shape);
  switch (init.kind) {
    case Init::kaiming_uniform: {
      const double gain = init.a == 0 ? std::sqrt(2.0) : init.a;
      return fan_in > 0 ? gain * std::sqrt(3.0 / static_cast<double>(fan_in)) : 0.0;
    }
    case Init::xavier_uniform: {
      const double gain = init.a == 0 ? 1.0 : init.a;
      return fan_in + fan_out > 0 ? gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out))
                                  : 0.0;
    }
    default:
      return 0.0;
  }
}

const char* init_name(Init::Kind kind) {
  switch (kind) {
    case Init::zeros:
      return "zeros";
    case Init::ones:
      return "ones";
    case Init::constant:
      return "constant";
    case Init::uniform:
      return "uniform";
    case Init::normal:
      return "normal";
    case Init::kaiming_uniform:
      return "kaiming_uniform";
    case Init::xavier_uniform:
      return "xavier_uniform";
  }
  return "?";
}

Tensor init_tensor(const Init& init, const Shape& shape, uint64_t seed, DType dtype,
                   Device device) {
  if (!is_floating(dtype))
    throw DTypeError(std::string("init_tensor: parameters must be floating, got ") +
                     dtype_name(dtype));
  Tensor t;
  switch (init.kind) {
    case Init::zeros:
      t = Tensor::zeros(shape, dtype, device);
      break;
    case Init::ones:
      t = Tensor::ones(shape, dtype, device);
      break;
    case Init::constant:
      t = Tensor::full(shape, init.a, dtype, device);
      break;
    case Init::uniform:
      if (!(init.a <= init.b))
        throw std::invalid_argument("init_tensor: uniform needs low <= high, got " +
                                    std::to_string(init.a) + ", " + std::to_string(init.b));
      t = Tensor::uniform(shape, init.a, init.b, seed, 0, dtype, device);
      break;
    case Init::normal:
      if (init.b < 0)
        throw std::invalid_argument("init_tensor: normal needs stddev >= 0, got " +
                                    std::to_string(init.b));
      t = Tensor::normal(shape, init.a, init.b, seed, 0, dtype, device);
      break;
    case Init::kaiming_uniform:
    case Init::xavier_uniform: {
      const double bound = init_bound(init, shape);
      t = Tensor::uniform(shape, -bound, bound, seed, 0, dtype, device);
      break;
    }
  }
  return t;
}

}  // namespace cz::nn
