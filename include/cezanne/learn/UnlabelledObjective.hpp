// UnlabelledObjective: the interface of objectives on unlabelled examples (pre-training,
// latent-variable models), the third kind of learning the trainer's step runs.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cezanne/autograd/Var.hpp"
#include "cezanne/data/TaskBatch.hpp"
#include "cezanne/learn/Collectives.hpp"
#include "cezanne/nn/ParamSpec.hpp"

namespace cz::learn {

/// An objective on rows of unlabelled examples (data::UnlabelledSource): a pure function of
/// (theta, batch, seed) that holds only sizes, so one object serves every rank and thread.
/// Randomness (reparameterization noise, augmentations) is counter-based and keyed by the seed,
/// the batch's step and each example's global position (slot x examples per row + position in
/// the row), so a step's losses do not depend on the number of ranks.
class UnlabelledObjective {
 public:
  /// Persistent state (design §2: a momentum encoder, a queue of keys): named tensors, identical
  /// on every rank, saved in every checkpoint, changed only by update_state().
  using State = std::vector<std::pair<std::string, Tensor>>;

  virtual ~UnlabelledObjective() = default;

  /// The algorithm's name as the checkpoint records it ("vae").
  virtual std::string name() const = 0;
  /// The parameters theta, in the order losses() expects them.
  virtual std::vector<nn::ParamSpec> specs() const = 0;
  /// The model in words for the checkpoint ("vae mlp 784-400-20 bernoulli beta=1").
  virtual std::string description() const = 0;

  /// Row t's training loss [T], with history: the mean over its B examples.
  virtual Var losses(const nn::ParamList& theta, const data::TaskBatch& batch, uint64_t seed) const = 0;

  /// The losses of a training step as the trainer's step computes them: with the persistent
  /// state and the ranks of the step (collective when the objective needs the other ranks, as
  /// global contrastive negatives do: every rank calls it, with or without rows, and runs the
  /// backward). The default is losses() alone.
  virtual Var step_losses(const nn::ParamList& theta, const State& /*state*/, const data::TaskBatch& batch,
                          uint64_t seed, Collectives& /*ranks*/) const {
    return losses(theta, batch, seed);
  }
  /// The state before the first step, from the initial theta and the seed (the same on every rank).
  virtual State initial_state(const nn::ParamList& /*theta*/, uint64_t /*seed*/) const { return {}; }
  /// After the optimizer: the next state from theta (updated) and the step's batch (this rank's
  /// rows); collective, every rank calls it. The default keeps the state.
  virtual void update_state(State& /*state*/, const nn::ParamList& /*theta*/, const data::TaskBatch& /*batch*/,
                            uint64_t /*seed*/, Collectives& /*ranks*/) const {}

  /// Names of the evaluation metrics, per example; metric 0 is a loss (lower is better) that
  /// validation tracks.
  virtual std::vector<std::string> metrics() const = 0;
  /// The unit of the metrics in the log (the VAE's "nats"), or "" for none (a mean squared
  /// error, a contrastive loss).
  virtual std::string unit() const { return ""; }
  /// The metrics of example `index` of the evaluation split (inputs [1, 1, C, H, W]), without
  /// history; `index` keys its noise with `seed`.
  virtual std::vector<double> evaluate(const nn::ParamList& theta, const Tensor& inputs, int64_t index,
                                       uint64_t seed) const = 0;
  /// Examples evaluate() takes at once (inputs [1, b, C, H, W]): 1, or more for objectives whose
  /// loss needs other examples (contrastive negatives); the evaluation spreads them over the split.
  virtual int64_t evaluation_examples() const { return 1; }

  /// The representation the objective learns, for frozen-embedding evaluation (few-shot
  /// episodes, k-NN, a linear probe) and transfer: images [N, C, H, W] -> [N, E], deterministic
  /// (no noise, no augmentation), with history so a probe or fine-tuning can differentiate it.
  virtual Var embed(const nn::ParamList& theta, const Tensor& images) const = 0;
};

}  // namespace cz::learn
