// The backward engine: grad() for gradients of any order, backward() for accumulation.
#pragma once

#include <optional>
#include <vector>

#include "cezanne/autograd/Var.hpp"

namespace cz {

struct GradOptions {
  /// Record the backward pass as a graph, so the result can be differentiated again.
  bool create_graph = false;
  /// Keep saved variables for another backward; defaults to create_graph.
  std::optional<bool> retain_graph;
  /// An input the outputs do not depend on gets an undefined Var instead of an error.
  bool allow_unused = false;
};

/// d(sum_i <grad_outputs[i], outputs[i]>)/d(inputs). `grad_outputs` may be empty when every
/// output is a scalar (seed 1). Leaves' grad() buffers are not touched.
std::vector<Var> grad(const std::vector<Var>& outputs, const std::vector<Var>& inputs,
                      const std::vector<Var>& grad_outputs = {}, GradOptions options = {});

/// Accumulates gradients of `outputs` into the grad() of every leaf that requires grad.
void backward(const std::vector<Var>& outputs, const std::vector<Var>& grad_outputs = {},
              bool retain_graph = false, bool create_graph = false);

}  // namespace cz
