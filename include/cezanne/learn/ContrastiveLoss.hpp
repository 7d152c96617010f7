// Contrastive losses (notes: "Contrastive learning"): triplet with a hinge margin and
// hard-negative mining, the multi-negative softmax (NT-Xent), and momentum contrast's InfoNCE.
#pragma once

#include <string>

#include "cezanne/autograd/Var.hpp"

namespace cz::learn {

/// Which negative of an anchor's candidates the triplet loss uses.
enum class Mining {
  none,      ///< every negative: the hinge averaged over all of them ("batch all")
  hardest,   ///< the negative nearest the anchor (Hermans et al.'s batch-hard)
  semi_hard  ///< the nearest negative farther than the positive (Schroff et al.'s FaceNet);
             ///< where there is none, the farthest negative (TensorFlow's convention)
};

/// "none", "hardest" or "semi-hard"; throws std::invalid_argument
/// "--mining: none, hardest or semi-hard, got 'x'".
Mining parse_mining(const std::string& name);
const char* mining_name(Mining mining);

/// The triplet loss with a hinge (notes: max(0, |f(x) - f(x+)|^2 - |f(x) - f(x-)|^2 + eps)) of
/// each anchor: anchors and positives [n, d], candidates [m, d] and `negative` [n, m] (bool or
/// 0/1: which candidates are negatives of anchor i; every anchor needs at least one) -> [n].
/// Mining picks the negatives from the distances' values (no derivative through the choice);
/// the gradient flows through the chosen negatives' distances, so it is the gradient of the
/// loss with the chosen negatives held fixed, of every order (piecewise quadratic).
Var triplet_loss(const Var& anchors, const Var& positives, const Var& candidates, const Tensor& negative,
                 double margin, Mining mining);

/// The multi-negative softmax of SimCLR (NT-Xent, Chen et al.) of each anchor: anchors [n, d] and
/// candidates [m, d], both L2-normalized by the caller; `positive` and `self` i64 [n] the
/// candidate index of anchor i's positive and of anchor i itself (left out of the softmax; -1:
/// none) -> [n]: -log( exp(s_ip / tau) / sum_{j != self_i} exp(s_ij / tau) ), s = anchors x
/// candidates^T. Every candidate but the anchor itself is a negative.
Var nt_xent(const Var& anchors, const Var& candidates, const Tensor& positive, const Tensor& self, double temperature);

/// Momentum contrast's InfoNCE (He et al.) of each query: queries and keys [n, d] (keys from the
/// momentum encoder, no history), queue [k, d] of earlier keys, all L2-normalized -> [n]:
/// -log( exp(q.k / tau) / (exp(q.k / tau) + sum_j exp(q.queue_j / tau)) ).
Var moco_loss(const Var& queries, const Var& keys, const Var& queue, double temperature);

}  // namespace cz::learn
