// Functional convolution and the conv block of the few-shot backbone.
#pragma once

#include "cezanne/autograd/ops/Convolution.hpp"
#include "cezanne/autograd/ops/Normalization.hpp"

namespace cz::nn {

/// The engine's convolution (x [N, C, H, W] or [T, N, C, H, W] with per-task weights);
/// see cezanne/autograd/ops/Convolution.hpp. A using-declaration, so nn::conv2d and cz::conv2d
/// are one function and unqualified calls are not ambiguous.
using cz::conv2d;

/// One block of Conv4: conv (3x3 or `kernel`, stride 1, padding `kernel / 2`) -> batch norm
/// (batch statistics, or `running` as in batch_norm2d) -> relu -> 2x2 max-pool (computed as
/// max-pool then relu, which is the same function with the same derivatives).
/// x [N, C, H, W] with weight [F, C, k, k], bias/gamma/beta [F]; or with `task_axis`
/// x [T, N, C, H, W], weight [T, F, C, k, k], bias/gamma/beta [T, F].
Var conv_block(const Var& x, const Var& weight, const Var& bias, const Var& gamma, const Var& beta,
               bool task_axis = false, RunningStats* running = nullptr, bool training = true);

}  // namespace cz::nn
