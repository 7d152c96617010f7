// Element-wise ops and their derivatives. Each backward is written in differentiable ops;
// binary ops sum the gradient back to each input's (pre-broadcast) shape.
#include "cezanne/autograd/ops/Pointwise.hpp"

#include <numbers>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

namespace {

const Tensor& in(const SavedContext& c, size_t i) { return c.inputs[i].data(); }

// Grad mode is create_graph inside backward, so constants built here carry no history.
Var constant(Tensor t) { return Var(std::move(t)); }

}  // namespace

// ---- binary ----------------------------------------------------------------------------------
//   op       d/da                 d/db
//   add      g                    g
//   sub      g                    -g
//   mul      g * b                g * a
//   div      g / b                -g * a / b^2
//   pow      g * b * a^(b-1)      g * a^b * log(a)

Var add(const Var& a, const Var& b) {
  return record("add", binary(BinaryOp::add, a.data(), b.data()), {a, b}, [](const Var& g, const SavedContext& c) {
    return std::vector<Var>{sum_to(g, in(c, 0).shape()), sum_to(g, in(c, 1).shape())};
  });
}

Var sub(const Var& a, const Var& b) {
  return record("sub", binary(BinaryOp::sub, a.data(), b.data()), {a, b}, [](const Var& g, const SavedContext& c) {
    return std::vector<Var>{sum_to(g, in(c, 0).shape()), sum_to(neg(g), in(c, 1).shape())};
  });
}

Var mul(const Var& a, const Var& b) {
  return record("mul", binary(BinaryOp::mul, a.data(), b.data()), {a, b}, [](const Var& g, const SavedContext& c) {
    const Var& a = c.inputs[0];
    const Var& b = c.inputs[1];
    return std::vector<Var>{a.requires_grad() ? sum_to(g * b, a.shape()) : Var(),
                            b.requires_grad() ? sum_to(g * a, b.shape()) : Var()};
  });
}

Var div(const Var& a, const Var& b) {
  return record("div", binary(BinaryOp::div, a.data(), b.data()), {a, b}, [](const Var& g, const SavedContext& c) {
    const Var& a = c.inputs[0];
    const Var& b = c.inputs[1];
    return std::vector<Var>{a.requires_grad() ? sum_to(g / b, a.shape()) : Var(),
                            b.requires_grad() ? sum_to(neg(g) * a / (b * b), b.shape()) : Var()};
  });
}

Var pow(const Var& base, const Var& exponent) {
  return record(
      "pow", binary(BinaryOp::pow, base.data(), exponent.data()), {base, exponent},
      [](const Var& g, const SavedContext& c) {
        const Var& a = c.inputs[0];
        const Var& b = c.inputs[1];
        Var y = c.output_var();
        return std::vector<Var>{a.requires_grad() ? sum_to(g * b * pow(a, b - 1.0), a.shape()) : Var(),
                                b.requires_grad() ? sum_to(g * y * log(a), b.shape()) : Var()};
      },
      true);
}

// ---- unary -----------------------------------------------------------------------------------
//   op        d/dx                  (y = output)
//   neg       -g
//   exp       g * y
//   log       g / x
//   sqrt      g * 0.5 / y
//   abs       g * sign(x)           (sign is a constant)
//   relu      g * [x > 0]           (mask is a constant)
//   sigmoid   g * y * (1 - y)
//   tanh      g * (1 - y^2)
//   erf       g * 2 / sqrt(pi) * exp(-x^2)
//   gelu      g * (Phi(x) + x * phi(x))     (Phi, phi: the standard normal CDF and density)
//   pow(p)    g * p * x^(p-1)
//   clamp     g * [lo <= x <= hi]
//   affine    g * scale

Var neg(const Var& x) {
  return record("neg", unary(UnaryOp::neg, x.data()), {x},
                [](const Var& g, const SavedContext&) { return std::vector<Var>{neg(g)}; });
}

Var exp(const Var& x) {
  return record(
      "exp", unary(UnaryOp::exp, x.data()), {x},
      [](const Var& g, const SavedContext& c) { return std::vector<Var>{g * c.output_var()}; }, true);
}

Var log(const Var& x) {
  return record("log", unary(UnaryOp::log, x.data()), {x},
                [](const Var& g, const SavedContext& c) { return std::vector<Var>{g / c.inputs[0]}; });
}

Var sqrt(const Var& x) {
  return record(
      "sqrt", unary(UnaryOp::sqrt, x.data()), {x},
      [](const Var& g, const SavedContext& c) { return std::vector<Var>{affine(g, 0.5) / c.output_var()}; }, true);
}

Var abs(const Var& x) {
  return record("abs", unary(UnaryOp::abs, x.data()), {x}, [](const Var& g, const SavedContext& c) {
    return std::vector<Var>{g * constant(unary(UnaryOp::sign, in(c, 0)))};
  });
}

Var relu(const Var& x) {
  return record("relu", unary(UnaryOp::relu, x.data()), {x}, [](const Var& g, const SavedContext& c) {
    const Tensor& x = in(c, 0);
    return std::vector<Var>{g * constant(binary(BinaryOp::gt, x, Tensor::zeros({}, x.dtype(), x.device())))};
  });
}

Var sigmoid(const Var& x) {
  return record(
      "sigmoid", unary(UnaryOp::sigmoid, x.data()), {x},
      [](const Var& g, const SavedContext& c) {
        Var y = c.output_var();
        return std::vector<Var>{g * y * (1.0 - y)};
      },
      true);
}

Var tanh(const Var& x) {
  return record(
      "tanh", unary(UnaryOp::tanh, x.data()), {x},
      [](const Var& g, const SavedContext& c) {
        Var y = c.output_var();
        return std::vector<Var>{g * (1.0 - y * y)};
      },
      true);
}

Var erf(const Var& x) {
  return record("erf", unary(UnaryOp::erf, x.data()), {x}, [](const Var& g, const SavedContext& c) {
    const Var& x = c.inputs[0];
    return std::vector<Var>{g * exp(-(x * x)) * (2.0 * std::numbers::inv_sqrtpi)};
  });
}

// One node rather than the five of its composition x * (erf(x / sqrt 2) + 1) / 2: the MLPs of a
// transformer apply it to their widest activations. The first-order backward reuses the
// forward's Phi(x); when the gradient must itself be differentiable (create_graph) it is
// composed of differentiable ops, so it has derivatives of every order.
Var gelu(const Var& x) {
  const Tensor cdf = cz::affine(unary(UnaryOp::erf, cz::affine(x.data(), std::numbers::sqrt2 / 2, 0.0)), 0.5, 0.5);
  constexpr double kPdfScale = std::numbers::inv_sqrtpi / std::numbers::sqrt2;  // 1 / sqrt(2 pi)
  return record("gelu", binary(BinaryOp::mul, x.data(), cdf), {x}, [cdf](const Var& g, const SavedContext& c) {
    const Var& x = c.inputs[0];
    if (!grad_enabled()) {
      const Tensor& v = x.data();
      const Tensor x_pdf = binary(BinaryOp::mul, v,
                                  cz::affine(unary(UnaryOp::exp, cz::affine(unary(UnaryOp::square, v), -0.5, 0.0)),
                                             kPdfScale, 0.0));
      return std::vector<Var>{Var(binary(BinaryOp::mul, g.data(), binary(BinaryOp::add, cdf, x_pdf)))};
    }
    const Var cdf_x = (erf(x * (std::numbers::sqrt2 / 2)) + 1.0) * 0.5;
    const Var pdf_x = exp(x * x * -0.5) * kPdfScale;
    return std::vector<Var>{g * (cdf_x + x * pdf_x)};
  });
}

Var pow(const Var& x, double p) {
  return record("pow", pow_scalar(x.data(), p), {x}, [p](const Var& g, const SavedContext& c) {
    if (p == 0.0) return std::vector<Var>{constant(Tensor::zeros(g.shape(), g.dtype(), g.device()))};
    if (p == 1.0) return std::vector<Var>{g};
    if (p == 2.0) return std::vector<Var>{g * affine(c.inputs[0], 2.0)};
    return std::vector<Var>{g * affine(pow(c.inputs[0], p - 1.0), p)};
  });
}

Var clamp(const Var& x, double low, double high) {
  return record("clamp", cz::clamp(x.data(), low, high), {x}, [low, high](const Var& g, const SavedContext& c) {
    return std::vector<Var>{g * constant(in_range_mask(in(c, 0), low, high))};
  });
}

Var where(const Tensor& condition, const Var& a, const Var& b) {
  return record("where", cz::where(condition, a.data(), b.data()), {a, b},
                [condition](const Var& g, const SavedContext& c) {
                  const Var zero(Tensor::zeros({}, g.dtype(), g.device()));
                  return std::vector<Var>{sum_to(where(condition, g, zero), in(c, 0).shape()),
                                          sum_to(where(condition, zero, g), in(c, 1).shape())};
                });
}

Var affine(const Var& x, double scale, double shift) {
  return record("affine", cz::affine(x.data(), scale, shift), {x},
                [scale](const Var& g, const SavedContext&) { return std::vector<Var>{affine(g, scale)}; });
}

// ---- operators -------------------------------------------------------------------------------

Var operator+(const Var& a, const Var& b) { return add(a, b); }
Var operator-(const Var& a, const Var& b) { return sub(a, b); }
Var operator*(const Var& a, const Var& b) { return mul(a, b); }
Var operator/(const Var& a, const Var& b) { return div(a, b); }
Var operator-(const Var& x) { return neg(x); }
Var operator+(const Var& a, double b) { return affine(a, 1.0, b); }
Var operator+(double a, const Var& b) { return affine(b, 1.0, a); }
Var operator-(const Var& a, double b) { return affine(a, 1.0, -b); }
Var operator-(double a, const Var& b) { return affine(b, -1.0, a); }
Var operator*(const Var& a, double b) { return affine(a, b); }
Var operator*(double a, const Var& b) { return affine(b, a); }
Var operator/(const Var& a, double b) { return affine(a, 1.0 / b); }
Var operator/(double a, const Var& b) { return affine(pow(b, -1.0), a); }

}  // namespace cz
