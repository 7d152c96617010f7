// Evaluation of a frozen embedding without training on it: few-shot episodes by nearest
// centroid, k-nearest-neighbour accuracy, and a linear probe (notes: "Unsupervised pre-training").
#pragma once

#include <cstdint>

#include "cezanne/data/Episode.hpp"
#include "cezanne/learn/UnlabelledObjective.hpp"
#include "cezanne/nn/ParamSpec.hpp"
#include "cezanne/tensor/Tensor.hpp"

namespace cz::learn {

/// ProtoNets' rule without training: each label's prototype is the mean of its support
/// embeddings [N, E], and each query [Q, E] gets the label of the nearest prototype (squared
/// Euclidean distance, computed in double; ties: the lower label). Labels i64 in [0, ways),
/// ways = the largest support label + 1. Returns the query accuracy. With one shot per label
/// and the identity embedding this is the nearest-pixels baseline (nearest_pixels_accuracy).
double nearest_centroid_accuracy(const Tensor& support, const Tensor& support_labels, const Tensor& query,
                                 const Tensor& query_labels);

/// The same on one episode, its images embedded by objective.embed(theta, .) without history
/// (the episode is moved to theta's device first).
double nearest_centroid_accuracy(const UnlabelledObjective& objective, const nn::ParamList& theta,
                                 const data::Episode& episode);

/// k-nearest-neighbour accuracy: each query [Q, E] takes the majority class among its `k`
/// nearest memory rows [M, E] (squared Euclidean in double; equal distances: the lower row
/// first); a tie in the vote goes to the tied class with the nearest member. With
/// `leave_one_out` the queries are the memory itself and a row is never its own neighbour.
/// Labels i64 (any class ids). Throws std::invalid_argument when k < 1 or k exceeds the
/// neighbours available (M, or M - 1 leaving one out).
double knn_accuracy(const Tensor& memory, const Tensor& memory_labels, const Tensor& queries,
                    const Tensor& query_labels, int64_t k, bool leave_one_out);

/// The linear probe's fixed recipe: features standardized by the training rows' mean and
/// standard deviation (a constant feature is only centred), a softmax regression W [E, C], b [C]
/// from zeros, trained full-batch with Adam (lr, betas 0.9/0.999) for `steps` steps on the mean
/// cross-entropy plus weight_decay/2 * ||W||^2, in f64 on the host.
struct ProbeRecipe {
  int64_t steps = 300;
  double lr = 0.05;
  double weight_decay = 1e-4;
};

/// A linear probe on frozen embeddings: trained on (train [M, E], train_labels i64 in [0,
/// classes)) by `recipe`, returns the accuracy on (test [Q, E], test_labels). Deterministic.
/// Throws std::invalid_argument on mismatched sizes or labels outside [0, classes).
double linear_probe_accuracy(const Tensor& train, const Tensor& train_labels, const Tensor& test,
                             const Tensor& test_labels, int64_t classes, ProbeRecipe recipe = {});

}  // namespace cz::learn
