// Calibration of predictive distributions: expected calibration error of a classifier's
// probabilities (reliability bins) and the central-interval coverage and Gaussian negative
// log-likelihood of a regressor's means and variances.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "cezanne/tensor/Tensor.hpp"

namespace cz::learn {

/// Equal-width confidence bins of a classifier (Guo et al. 2017): bin b holds the predictions
/// whose confidence (the largest class probability) lies in (b/15, (b+1)/15] (bin 0 also takes
/// confidence 0). Sums, not means, so the bins of many episodes (and ranks) add up.
struct ReliabilityBins {
  static constexpr int kBins = 15;
  std::array<double, kBins> count{};       ///< predictions in the bin
  std::array<double, kBins> confidence{};  ///< sum of their confidences
  std::array<double, kBins> correct{};     ///< how many were right (argmax == label)

  /// Adds predictions: probabilities [Q, C] (any device; copied to the host), labels i64 [Q].
  /// Throws std::invalid_argument on mismatched shapes.
  void add(const Tensor& probabilities, const Tensor& labels);
  /// Adds another set of bins.
  void add(const ReliabilityBins& other);
  /// ECE = sum_b count_b / n * |accuracy_b - confidence_b| (0 without predictions).
  double ece() const;
  /// Mean confidence of all the predictions (0 without predictions): above the accuracy an
  /// overconfident classifier, below it an underconfident one.
  double mean_confidence() const;
  /// The 3 x kBins sums in one list (count, confidence, correct), for an allreduce, and back.
  std::vector<double> flat() const;
  static ReliabilityBins from_flat(const double* values);
};

/// z of the central 95% interval of a Gaussian: mean ± 1.959964 σ.
inline constexpr double kZ95 = 1.959963984540054;

/// Fraction of targets inside mean ± kZ95 * sqrt(variance): mean, variance, target of one shape
/// (any device; copied to the host). Throws std::invalid_argument on mismatched shapes.
double coverage95(const Tensor& mean, const Tensor& variance, const Tensor& target);

/// Mean over points of -log N(target; mean, variance) = (log(2π variance) + (target -
/// mean)^2 / variance) / 2. Throws as coverage95.
double gaussian_nll(const Tensor& mean, const Tensor& variance, const Tensor& target);

}  // namespace cz::learn
