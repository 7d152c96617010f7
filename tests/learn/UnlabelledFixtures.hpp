// Shared by the tests of objectives on unlabelled examples: f64 leaves and rows of images.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "cezanne/data/TaskBatch.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::testing {

/// Leaves (requiring gradients) of `specs` initialized in f64 from `seed`.
inline nn::ParamList initialized(const std::vector<nn::ParamSpec>& specs, uint64_t seed) {
  nn::Params params(specs, DType::f64);
  params.initialize(seed);
  nn::ParamList p;
  for (const Var& v : params.list()) p.emplace_back(v.data().clone(), true);
  return p;
}

/// Rows `slots` of step `step`: b uniform grey side x side images each [T, b, 1, side, side], f64;
/// a slot's images depend on the slot alone, so a row is the same in any batch.
inline data::TaskBatch unlabelled_rows(std::vector<int64_t> slots, int64_t b, int64_t side, int64_t step) {
  data::TaskBatch out;
  std::vector<Tensor> rows;
  for (const int64_t s : slots)
    rows.push_back(Tensor::uniform({1, b, 1, side, side}, 0, 1, 40 + static_cast<uint64_t>(s), 0, DType::f64));
  out.inputs = cat(rows, 0);
  out.slots = std::move(slots);
  out.step = step;
  return out;
}

}  // namespace cz::testing
