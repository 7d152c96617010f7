// Parameter initializers: how a ParamSpec's tensor is filled, with fans taken from its shape.
#pragma once

#include <cstdint>
#include <utility>

#include "cezanne/tensor/Tensor.hpp"

namespace cz::nn {

/// How to fill one parameter. Shapes follow the [out, in, k...] convention, so
/// fan_in = in * prod(k) and fan_out = out * prod(k); a 1-d shape [n] has fan_in = fan_out = n.
///
///  kind             | values                       | a              | b
///  -----------------|------------------------------|----------------|--------
///  zeros, ones      | 0, 1                         | -              | -
///  constant         | a                            | value          | -
///  uniform          | U(a, b)                      | low            | high
///  normal           | N(mean a, stddev b)          | mean           | stddev
///  kaiming_uniform  | U(-g*sqrt(3/fan_in), +...)   | gain g (0: √2) | -
///  xavier_uniform   | U(-g*sqrt(6/(fan_in+fan_out)), +...) | gain g (0: 1) | -
struct Init {
  enum Kind {
    zeros,
    ones,
    constant,
    uniform,
    normal,
    kaiming_uniform,
    xavier_uniform
  } kind = zeros;
  double a = 0, b = 0;
};

/// (fan_in, fan_out) of a parameter of `shape` ([out, in, k...]); (n, n) for [n], (1, 1) for [].
std::pair<int64_t, int64_t> fans(const Shape& shape);

/// The bound of the uniform distribution of a kaiming/xavier init (0 for other kinds).
double init_bound(const Init& init, const Shape& shape);

/// A new tensor of `shape` filled by `init`; random kinds draw from the counter-based
/// generator with key `seed` and counter 0, so the result is a pure function of its arguments.
/// Drawn on the CPU, then moved to `device`.
Tensor init_tensor(const Init& init, const Shape& shape, uint64_t seed, DType dtype = DType::f32,
                   Device device = Device::cpu());

const char* init_name(Init::Kind kind);

}  // namespace cz::nn
