// Differentiable collectives for cross-rank contrastive negatives.
//
// This is the one place where communication is part of an autograd graph, on purpose: the
// gathered embeddings are used as negatives, and the gradient that every rank's loss sends
// to a rank's rows must come back to that rank. The backward runs a collective, so every rank
// must run the backward of these ops (e.g. each calls backward on its own loss in the same
// step), as it ran the forward.
#pragma once

#include "cezanne/autograd/Var.hpp"
#include "cezanne/learn/Collectives.hpp"

namespace cz::learn {

/// Gathers every rank's rows: local [n_r, d] -> [sum_r n_r, d], rank 0's rows first. Row
/// counts may differ across ranks (d may not: an error on every rank, DistError from
/// train::CommunicatorCollectives). f32 or f64, on the memory the collectives work on: host
/// memory (MPI, stub) or the NCCL device.
///
/// Backward, for a total objective L = sum over ranks of L_r: dL/d local_r = rows of rank r
/// of (sum over ranks s of dL_s/d gathered) — an allreduce-sum of the incoming gradient, then
/// this rank's slice. The allreduce is itself a recorded op (see allreduce_sum below), so the
/// gradient is differentiable again under create_graph. `ranks` must outlive the graph.
Var allgather(Collectives& ranks, const Var& local);

/// Sum over ranks (every rank gets the result); backward is again the sum over ranks of the
/// incoming gradients (the adjoint of "every rank receives the sum" for L = sum_r L_r).
Var allreduce_sum(Collectives& ranks, const Var& x);

}  // namespace cz::learn
