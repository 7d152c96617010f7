// Differentiable scaled dot-product attention (the transformer's).
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz {

/// softmax(q k^T / sqrt(d)) v over the last two dims, batched over the leading ones (heads,
/// examples, tasks): q [..., Lq, d], k [..., Lk, d], v [..., Lk, dv] -> [..., Lq, dv]. Composed
/// of matmul and softmax, so it has derivatives of every order.
Var scaled_dot_product_attention(const Var& q, const Var& k, const Var& v);

}  // namespace cz
