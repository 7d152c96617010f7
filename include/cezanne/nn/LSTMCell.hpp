// Functional LSTM cell (the black-box meta-learner's recurrent core).
#pragma once

#include "cezanne/autograd/Var.hpp"

namespace cz::nn {

/// Hidden and cell state, each [B, H] (or [T, B, H] with a task axis).
struct LSTMState {
  Var h, c;
};

/// One step: gates = x @ w_ih^T + h @ w_hh^T + bias, split along the last dim into
/// i, f, g, o (in that order), then
///   c' = sigmoid(f) * c + sigmoid(i) * tanh(g),   h' = sigmoid(o) * tanh(c').
/// x [B, in], h and c [B, H], w_ih [4H, in], w_hh [4H, H], bias [4H] or undefined;
/// task axis: x [T, B, in], h, c [T, B, H], w_ih [T, 4H, in], w_hh [T, 4H, H], bias [T, 4H].
LSTMState lstm_cell(const Var& x, const Var& h, const Var& c, const Var& w_ih, const Var& w_hh,
                    const Var& bias);

}  // namespace cz::nn
