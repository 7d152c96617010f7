// Model: the interface of functional models (a pure function of a parameter list and an input).
#pragma once

#include <cstdint>
#include <vector>

#include "cezanne/autograd/Var.hpp"
#include "cezanne/nn/ParamSpec.hpp"

namespace cz::nn {

/// A functional model holds only its hyper-parameters (sizes), never parameter values: every
/// call takes the parameter list explicitly, in the order of specs(). The same object serves
/// theta, an adapted phi, and per-task parameters with a leading task axis.
class Model {
 public:
  virtual ~Model() = default;

  /// The parameters, in the order forward() expects them.
  virtual std::vector<ParamSpec> specs() const = 0;
  /// Index of the first parameter of the head (the last linear layer); the parameters before it
  /// form the feature extractor (ANIL adapts only [head_begin(), size)).
  virtual size_t head_begin() const = 0;

  /// Output for one batch: p[i] has shape specs()[i].shape.
  virtual Var forward(const ParamList& p, const Var& x) const = 0;
  /// Features before the head (metric learners: prototypes, matching, Siamese).
  virtual Var embed(const ParamList& p, const Var& x) const = 0;
  /// Task axis: x [T, N, ...] and every p[i] of shape [T, specs()[i].shape...] (per-task weights,
  /// e.g. from expand_to_tasks) -> [T, N, ...], one batched op per layer. Equals T forward calls.
  virtual Var forward_tasks(const ParamList& p, const Var& x) const = 0;
  /// Features before the head with a task axis: [T, N, features].
  virtual Var embed_tasks(const ParamList& p, const Var& x) const = 0;

  /// Size of one feature vector of embed().
  virtual int64_t feature_size() const = 0;
  /// Number of outputs of forward().
  virtual int64_t output_size() const = 0;

 protected:
  // Throws std::invalid_argument "<model>: expected N parameters, got M" (or a shape mismatch
  // naming the parameter) when p does not fit specs(); `task_axis` allows a leading T dim.
  void check_params(const char* model, const ParamList& p, bool task_axis) const;
};

/// Each parameter [...] as a per-task parameter [T, ...]: unsqueeze(0) then expand, a
/// differentiable view, so gradients flow back to theta summed over tasks.
ParamList expand_to_tasks(const ParamList& p, int64_t tasks);

}  // namespace cz::nn
