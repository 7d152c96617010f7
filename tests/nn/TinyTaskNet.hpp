// Shared by the tests of task-conditioned networks: a network small enough for gradient checks.
#pragma once

#include "cezanne/nn/TaskConditionedNet.hpp"

namespace cz::testing {

/// 3 tasks of 4 outputs on 16x16 single-channel images, 2 filters per Conv4 layer.
inline nn::TaskNetSpec tiny(nn::Conditioning c, int64_t descriptor = 0) {
  nn::TaskNetSpec s;
  s.filters = 2;
  s.channels = 1;
  s.image = 16;
  s.num_tasks = 3;
  s.outputs = 4;
  s.conditioning = c;
  s.descriptor = descriptor;
  return s;
}

}  // namespace cz::testing
