// Reliability bins, interval coverage and Gaussian NLL, on host copies of the predictions.
#include "cezanne/learn/Calibration.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <stdexcept>

#include "cezanne/tensor/Shape.hpp"

namespace cz::learn {
namespace {

void require_same(const char* who, const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape())
    throw std::invalid_argument(std::string(who) + ": shapes " + shape_str(a.shape()) + " and " +
                                shape_str(b.shape()) + " differ");
}

}  // namespace

void ReliabilityBins::add(const Tensor& probabilities, const Tensor& labels) {
  if (probabilities.dim() != 2 || labels.dim() != 1 || labels.size(0) != probabilities.size(0))
    throw std::invalid_argument("ReliabilityBins: probabilities [Q, C] and labels [Q] expected, got " +
                                shape_str(probabilities.shape()) + " and " + shape_str(labels.shape()));
  const int64_t q = probabilities.size(0), c = probabilities.size(1);
  const std::vector<double> p = probabilities.to_vector();
  const std::vector<double> y = labels.to_vector();
  for (int64_t i = 0; i < q; ++i) {
    const auto row = p.begin() + i * c;
    const auto best = std::max_element(row, row + c);
    const double confidence = *best;
    const int bin = std::clamp(static_cast<int>(std::ceil(confidence * kBins)) - 1, 0, kBins - 1);
    count[bin] += 1;
    this->confidence[bin] += confidence;
    correct[bin] += static_cast<double>(best - row) == y[static_cast<size_t>(i)] ? 1 : 0;
  }
}

void ReliabilityBins::add(const ReliabilityBins& other) {
  for (int b = 0; b < kBins; ++b) {
    count[b] += other.count[b];
    confidence[b] += other.confidence[b];
    correct[b] += other.correct[b];
  }
}

double ReliabilityBins::ece() const {
  double n = 0, gap = 0;
  for (int b = 0; b < kBins; ++b) {
    n += count[b];
    gap += std::abs(correct[b] - confidence[b]);  // count_b * |accuracy_b - confidence_b|
  }
  return n > 0 ? gap / n : 0.0;
}

double ReliabilityBins::mean_confidence() const {
  const double n = std::accumulate(count.begin(), count.end(), 0.0);
  return n > 0 ? std::accumulate(confidence.begin(), confidence.end(), 0.0) / n : 0.0;
}

std::vector<double> ReliabilityBins::flat() const {
  std::vector<double> out(count.begin(), count.end());
  out.insert(out.end(), confidence.begin(), confidence.end());
  out.insert(out.end(), correct.begin(), correct.end());
  return out;
}

ReliabilityBins ReliabilityBins::from_flat(const double* values) {
  ReliabilityBins bins;
  std::copy(values, values + kBins, bins.count.begin());
  std::copy(values + kBins, values + 2 * kBins, bins.confidence.begin());
  std::copy(values + 2 * kBins, values + 3 * kBins, bins.correct.begin());
  return bins;
}

double coverage95(const Tensor& mean, const Tensor& variance, const Tensor& target) {
  require_same("coverage95", mean, variance);
  require_same("coverage95", mean, target);
  const std::vector<double> m = mean.to_vector(), v = variance.to_vector(), y = target.to_vector();
  double inside = 0;
  for (size_t i = 0; i < m.size(); ++i) inside += std::abs(y[i] - m[i]) <= kZ95 * std::sqrt(v[i]) ? 1 : 0;
  return m.empty() ? 0.0 : inside / static_cast<double>(m.size());
}

double gaussian_nll(const Tensor& mean, const Tensor& variance, const Tensor& target) {
  require_same("gaussian_nll", mean, variance);
  require_same("gaussian_nll", mean, target);
  const std::vector<double> m = mean.to_vector(), v = variance.to_vector(), y = target.to_vector();
  double sum = 0;
  for (size_t i = 0; i < m.size(); ++i)
    sum += 0.5 * (std::log(2 * std::numbers::pi * v[i]) + (y[i] - m[i]) * (y[i] - m[i]) / v[i]);
  return m.empty() ? 0.0 : sum / static_cast<double>(m.size());
}

}  // namespace cz::learn
