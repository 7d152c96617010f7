// Collectives: what an objective may ask of the other ranks, as operations on tensors.
#pragma once

#include <cstdint>

#include "cezanne/tensor/Tensor.hpp"

namespace cz::learn {

/// Every rank's rows concatenated in rank order, and where this rank's rows start in them.
struct GatheredRows {
  Tensor rows;        ///< [sum_r n_r, d]
  int64_t first = 0;  ///< index of this rank's first row
};

/// The ranks of a step as the collectives the differentiable ops of Allgather.hpp are built on.
/// learn knows no transport: the step hands an objective an implementation
/// (train::CommunicatorCollectives over the run's communicator). Each call is a collective:
/// every rank makes the same calls in the same order.
class Collectives {
 public:
  virtual ~Collectives() = default;
  /// Sum over ranks of `t` (f32 or f64, the same element count on every rank) as a new tensor
  /// of t's shape and device; `t` itself is not changed.
  virtual Tensor sum(const Tensor& t) = 0;
  /// Every rank's rows: local [n_r, d] -> [sum_r n_r, d], rank 0's rows first. Row counts may
  /// differ across ranks; the row width d and the dtype (f32 or f64) may not.
  virtual GatheredRows gather_rows(const Tensor& rows) = 0;
};

}  // namespace cz::learn
