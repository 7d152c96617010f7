// Differentiable element-wise ops. Binary ops broadcast; their backward sums to each input's shape.
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz {

Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var div(const Var& a, const Var& b);
Var neg(const Var& x);
Var exp(const Var& x);
Var log(const Var& x);
Var sqrt(const Var& x);
Var abs(const Var& x);
Var relu(const Var& x);
Var sigmoid(const Var& x);
Var tanh(const Var& x);
/// The Gauss error function.
Var erf(const Var& x);
/// GELU in its exact form (PyTorch's default, not the tanh approximation): x * Phi(x), Phi the
/// standard normal CDF 0.5 * (1 + erf(x / sqrt 2)).
Var gelu(const Var& x);
Var pow(const Var& x, double exponent);
Var pow(const Var& base, const Var& exponent);
Var clamp(const Var& x, double low, double high);
/// condition (a constant mask, != 0 means a) ? a : b, broadcasting.
Var where(const Tensor& condition, const Var& a, const Var& b);
/// scale * x + shift.
Var affine(const Var& x, double scale, double shift = 0.0);

Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator-(const Var& x);
Var operator+(const Var& a, double b);
Var operator+(double a, const Var& b);
Var operator-(const Var& a, double b);
Var operator-(double a, const Var& b);
Var operator*(const Var& a, double b);
Var operator*(double a, const Var& b);
Var operator/(const Var& a, double b);
Var operator/(double a, const Var& b);

}  // namespace cz
