// learn::Collectives over a dist::Communicator: the collectives a step hands its objective.
#pragma once

#include "cezanne/dist/Communicator.hpp"
#include "cezanne/learn/Collectives.hpp"

namespace cz::train {

/// learn's tensor collectives on the ranks of `comm`, moving `comm.memory()` (host memory for
/// the MPI and single-process communicators, the device for NCCL): a tensor elsewhere goes
/// through a copy there, and the result comes back to its device. A mismatch across ranks (element count, row
/// width, dtype) throws DistError ("rank R: ...") on every rank; a tensor that is not f32 or
/// f64, or rows that are not 2-d, throw DistError on the rank that passed them. `comm` must
/// outlive this object.
class CommunicatorCollectives final : public learn::Collectives {
 public:
  explicit CommunicatorCollectives(dist::Communicator& comm) : comm_(comm) {}

  Tensor sum(const Tensor& t) override;
  learn::GatheredRows gather_rows(const Tensor& rows) override;

 private:
  dist::Communicator& comm_;
};

}  // namespace cz::train
