// Contrastive pre-training (notes: "Contrastive learning"): Conv4's embedding plus a projection
// head, trained with the triplet loss, NT-Xent or momentum contrast on two views of each example.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cezanne/data/Augment.hpp"
#include "cezanne/learn/ContrastiveLoss.hpp"
#include "cezanne/learn/UnlabelledObjective.hpp"
#include "cezanne/nn/MLP.hpp"

namespace cz::learn {

/// The contrastive objective `cezanne train --algo NAME` runs.
enum class Contrast {
  triplet,  ///< anchor, positive view, negative example, hinge margin (with mining)
  nt_xent,  ///< SimCLR's multi-negative softmax with a temperature
  moco      ///< momentum contrast: a momentum encoder and a queue of keys
};

/// "triplet", "nt_xent" or "moco"; throws std::invalid_argument "--algo: triplet, nt_xent or moco, got 'x'".
Contrast parse_contrast(const std::string& name);
const char* contrast_name(Contrast contrast);

/// Sizes and settings of a contrastive objective.
struct ContrastiveSpec {
  Contrast contrast = Contrast::nt_xent;
  int64_t filters = 64;     ///< Conv4's filters
  int64_t channels = 1;     ///< C of the square images
  int64_t image = 28;       ///< their side, >= 16
  int64_t projection = 64;  ///< P: the projection head's hidden and output size
  double margin = 0.2;      ///< triplet: the hinge margin eps (squared distances of unit vectors)
  Mining mining = Mining::semi_hard;  ///< triplet
  double temperature = 0.5;  ///< nt_xent, moco: tau of the softmax over similarities / tau
  bool global_negatives = false;  ///< triplet, nt_xent: every rank's examples are negatives
  int64_t queue = 4096;     ///< moco: keys in the queue, a multiple of the keys of a step
  double momentum = 0.99;   ///< moco: key encoder <- momentum x key encoder + (1 - momentum) x theta
  data::AugmentSpec augment;  ///< the two views of every example
};

/// Two augmented views of every example go through the same encoder: Conv4's four blocks
/// ("block{b}.conv.*", "block{b}.bn.*" as nn::Conv4 names them, so --init-params 'block*' loads
/// them into Conv4 for transfer) and the projection head, an MLP F-P-P ("projection.layer0.*",
/// "projection.head.*", relu), whose output is L2-normalized. Batch norm uses the statistics of
/// one view of one row (B examples), never of the other view or of other rows and ranks: an
/// embedding does not depend on how the step's rows are split over ranks, and a positive pair
/// never shares statistics (the leak MoCo's shuffled batch norm avoids).
///
/// Example i of the row in slot s has the key s x B + i; its views v = 0, 1 are
/// data::augment(..., seed, step, key, v), so a step's views do not depend on the ranks.
/// Embeddings are ordered (slot, view, example): index (2s + v) x B + i, the positive of an
/// embedding is the other view of its example, its negatives are both views of every other
/// example of the rank's rows (local) or of the step's rows on every rank (global, gathered by
/// the differentiable allgather: every rank's gradient for its own slice, so the step's gradient
/// is the single-process gradient of the whole batch). Every embedding is an anchor; a row's
/// loss is the mean over its 2B anchors.
///
/// Triplet: triplet_loss with the mining; nt_xent: nt_xent. Moco (He et al.): queries are view
/// 0 through theta, keys view 1 through the key encoder (persistent state "moco.key.<name>",
/// theta at the start), negatives the queue ("moco.queue" [K, P], unit rows drawn from the seed;
/// "moco.next" the row the next keys overwrite). After each step every rank gathers the step's
/// keys in slot order (N = meta-batch x B of them), writes them over the queue's N oldest rows
/// (K is a multiple of N) and moves the key encoder towards theta: the same on every rank.
///
/// Evaluation (the validation loss): rows of B examples spread over the split, each row's loss
/// with its own examples as negatives; moco's queue is training state, so its rows are scored
/// with the row's other keys as negatives (InfoNCE with in-row negatives).
class Contrastive final : public UnlabelledObjective {
 public:
  /// Throws std::invalid_argument naming the option: a size < 1, margin < 0, temperature <= 0,
  /// momentum outside [0, 1), global negatives with moco, and augment.validate()'s errors.
  Contrastive(ContrastiveSpec spec, int64_t examples_per_row);

  const ContrastiveSpec& spec() const { return spec_; }
  std::string name() const override { return contrast_name(spec_.contrast); }
  std::vector<nn::ParamSpec> specs() const override;
  std::string description() const override;
  /// The losses of a first step on one rank: local negatives, and (moco) the initial state.
  Var losses(const nn::ParamList& theta, const data::TaskBatch& batch, uint64_t seed) const override;
  Var step_losses(const nn::ParamList& theta, const State& state, const data::TaskBatch& batch, uint64_t seed,
                  Collectives& ranks) const override;
  State initial_state(const nn::ParamList& theta, uint64_t seed) const override;
  void update_state(State& state, const nn::ParamList& theta, const data::TaskBatch& batch, uint64_t seed,
                    Collectives& ranks) const override;
  std::vector<std::string> metrics() const override { return {name() + "_loss"}; }
  std::vector<double> evaluate(const nn::ParamList& theta, const Tensor& inputs, int64_t index,
                               uint64_t seed) const override;
  int64_t evaluation_examples() const override { return examples_; }
  /// Conv4's embedding (before the projection head) [N, F], batch norm over the N images.
  Var embed(const nn::ParamList& theta, const Tensor& images) const override;

  /// The normalized projections [G x n, P] of images [G, n, C, H, W], batch norm per group g.
  Var project(const nn::ParamList& theta, const Var& images) const;
  /// The two views of a batch's rows [2T, B, C, H, W] on theta's device, ordered (row, view).
  Tensor views(const data::TaskBatch& batch, uint64_t seed, DType dtype, Device device) const;
  /// Triplet and NT-Xent losses of embeddings [2T x B, P] ordered (row, view, example) against
  /// candidates [M, P] ordered the same way, where this rank's rows start at `first`: [T].
  Var pair_losses(const Var& embeddings, const Var& candidates, int64_t first) const;

 private:
  nn::ParamList key_encoder(const State& state) const;
  Var moco_losses(const nn::ParamList& theta, const nn::ParamList& key, const Tensor& queue, const Tensor& views) const;

  ContrastiveSpec spec_;
  int64_t examples_;  // B of a row
  nn::MLP head_;
  std::vector<nn::ParamSpec> specs_;
};

}  // namespace cz::learn
