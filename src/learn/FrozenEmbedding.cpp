// Frozen-embedding evaluation: distances on the host in double, the probe through autograd.
#include "cezanne/learn/FrozenEmbedding.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "cezanne/autograd/Grad.hpp"
#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/optim/Adam.hpp"

namespace cz::learn {
namespace {

// Rows of a 2-d tensor as doubles, row-major.
struct Rows {
  std::vector<double> values;
  int64_t n = 0, d = 0;
  explicit Rows(const Tensor& t, const char* what) {
    if (t.dim() != 2) throw std::invalid_argument(std::string(what) + ": expected [rows, features], got " + shape_str(t.shape()));
    n = t.size(0);
    d = t.size(1);
    values = t.to(Device::cpu()).to_vector();
  }
  const double* row(int64_t i) const { return values.data() + i * d; }
};

double sq_distance(const double* a, const double* b, int64_t d) {
  double s = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    const double diff = a[k] - b[k];
    s += diff * diff;
  }
  return s;
}

std::vector<int64_t> labels_of(const Tensor& labels, int64_t rows, const char* what) {
  std::vector<int64_t> v = labels.to(Device::cpu()).to_i64_vector();
  if (static_cast<int64_t>(v.size()) != rows)
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(v.size()) + " labels for " +
                                std::to_string(rows) + " rows");
  return v;
}

double fraction(int64_t correct, int64_t total) {
  return total == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(total);
}

}  // namespace

double nearest_centroid_accuracy(const Tensor& support, const Tensor& support_labels, const Tensor& query,
                                 const Tensor& query_labels) {
  const Rows s(support, "nearest_centroid: support"), q(query, "nearest_centroid: query");
  if (s.d != q.d) throw std::invalid_argument("nearest_centroid: support and query widths differ");
  const std::vector<int64_t> sl = labels_of(support_labels, s.n, "nearest_centroid: support");
  const std::vector<int64_t> ql = labels_of(query_labels, q.n, "nearest_centroid: query");
  const int64_t ways = sl.empty() ? 0 : *std::max_element(sl.begin(), sl.end()) + 1;
  // Prototypes: sums in support row order, then divided by the count.
  std::vector<double> prototypes(static_cast<size_t>(ways * s.d), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(ways), 0);
  for (int64_t i = 0; i < s.n; ++i) {
    if (sl[i] < 0) throw std::invalid_argument("nearest_centroid: negative support label");
    ++count[sl[i]];
    for (int64_t k = 0; k < s.d; ++k) prototypes[sl[i] * s.d + k] += s.row(i)[k];
  }
  for (int64_t c = 0; c < ways; ++c)
    for (int64_t k = 0; k < s.d; ++k) prototypes[c * s.d + k] /= static_cast<double>(std::max<int64_t>(count[c], 1));
  int64_t correct = 0;
  for (int64_t i = 0; i < q.n; ++i) {
    double best = std::numeric_limits<double>::infinity();
    int64_t label = -1;
    for (int64_t c = 0; c < ways; ++c) {
      if (count[c] == 0) continue;  // a label without support examples has no prototype
      const double distance = sq_distance(q.row(i), prototypes.data() + c * s.d, s.d);
      if (distance < best) {
        best = distance;
        label = c;
      }
    }
    correct += label == ql[i] ? 1 : 0;
  }
  return fraction(correct, q.n);
}

double nearest_centroid_accuracy(const UnlabelledObjective& objective, const nn::ParamList& theta,
                                 const data::Episode& episode) {
  const data::Episode e = episode.to(theta.front().device());
  NoGradGuard no_grad;
  return nearest_centroid_accuracy(objective.embed(theta, e.support).data(), e.support_labels,
                                   objective.embed(theta, e.query).data(), e.query_labels);
}

double knn_accuracy(const Tensor& memory, const Tensor& memory_labels, const Tensor& queries,
                    const Tensor& query_labels, int64_t k, bool leave_one_out) {
  const Rows m(memory, "knn: memory"), q(queries, "knn: queries");
  if (m.d != q.d) throw std::invalid_argument("knn: memory and query widths differ");
  const std::vector<int64_t> ml = labels_of(memory_labels, m.n, "knn: memory");
  const std::vector<int64_t> ql = labels_of(query_labels, q.n, "knn: queries");
  const int64_t available = leave_one_out ? m.n - 1 : m.n;
  if (k < 1 || k > available)
    throw std::invalid_argument("knn: k = " + std::to_string(k) + " neighbours, " + std::to_string(available) +
                                " available");
  int64_t correct = 0;
  // The k nearest so far, ascending; (distance, row) pairs order equal distances by row.
  std::vector<std::pair<double, int64_t>> nearest;
  for (int64_t i = 0; i < q.n; ++i) {
    nearest.clear();
    for (int64_t j = 0; j < m.n; ++j) {
      if (leave_one_out && j == i) continue;
      const std::pair<double, int64_t> candidate{sq_distance(q.row(i), m.row(j), m.d), j};
      if (static_cast<int64_t>(nearest.size()) == k && !(candidate < nearest.back())) continue;
      if (static_cast<int64_t>(nearest.size()) == k) nearest.pop_back();
      nearest.insert(std::upper_bound(nearest.begin(), nearest.end(), candidate), candidate);
    }
    // Votes per class; among equal votes the class seen first (its nearest member) wins.
    std::map<int64_t, int64_t> votes;
    for (int64_t r = 0; r < k; ++r) ++votes[ml[nearest[r].second]];
    int64_t best = -1, label = 0;
    for (int64_t r = 0; r < k; ++r) {
      const int64_t c = ml[nearest[r].second];
      if (votes[c] > best) {
        best = votes[c];
        label = c;
      }
    }
    correct += label == ql[i] ? 1 : 0;
  }
  return fraction(correct, q.n);
}

double linear_probe_accuracy(const Tensor& train, const Tensor& train_labels, const Tensor& test,
                             const Tensor& test_labels, int64_t classes, ProbeRecipe recipe) {
  const Rows tr(train, "probe: train"), te(test, "probe: test");
  if (tr.d != te.d) throw std::invalid_argument("probe: train and test widths differ");
  const std::vector<int64_t> yl = labels_of(train_labels, tr.n, "probe: train");
  const std::vector<int64_t> tl = labels_of(test_labels, te.n, "probe: test");
  for (const std::vector<int64_t>* v : {&yl, &tl})
    for (const int64_t y : *v)
      if (y < 0 || y >= classes)
        throw std::invalid_argument("probe: label " + std::to_string(y) + " outside [0, " + std::to_string(classes) + ")");
  if (tr.n < 1) throw std::invalid_argument("probe: no training rows");
  // Standardization by the training rows.
  std::vector<double> mean(tr.d, 0.0), scale(tr.d, 0.0);
  for (int64_t i = 0; i < tr.n; ++i)
    for (int64_t k = 0; k < tr.d; ++k) mean[k] += tr.row(i)[k];
  for (double& v : mean) v /= static_cast<double>(tr.n);
  for (int64_t i = 0; i < tr.n; ++i)
    for (int64_t k = 0; k < tr.d; ++k) scale[k] += (tr.row(i)[k] - mean[k]) * (tr.row(i)[k] - mean[k]);
  for (double& v : scale) v = std::sqrt(v / static_cast<double>(tr.n));
  auto standardized = [&](const Rows& r) {
    std::vector<double> out(r.values.size());
    for (int64_t i = 0; i < r.n; ++i)
      for (int64_t k = 0; k < r.d; ++k)
        out[i * r.d + k] = (r.row(i)[k] - mean[k]) / (scale[k] > 0.0 ? scale[k] : 1.0);
    return Tensor::from(out, {r.n, r.d}, DType::f64);
  };
  const Tensor x = standardized(tr), xt = standardized(te);
  const Tensor y = Tensor::from_i64(yl, {tr.n});
  nn::Params probe({{"probe.weight", {tr.d, classes}}, {"probe.bias", {classes}}}, DType::f64);
  optim::Adam adam(probe, recipe.lr);
  for (int64_t step = 0; step < recipe.steps; ++step) {
    probe.zero_grad();
    const Var logits = add(matmul(Var(x), probe[0]), probe[1]);
    const Var loss = add(cross_entropy(logits, y), affine(sum(mul(probe[0], probe[0])), recipe.weight_decay / 2));
    backward({loss});
    adam.step();
  }
  NoGradGuard no_grad;
  const std::vector<double> logits = add(matmul(Var(xt), probe[0]), probe[1]).data().to_vector();
  int64_t correct = 0;
  for (int64_t i = 0; i < te.n; ++i) {
    const double* row = logits.data() + i * classes;
    correct += (std::max_element(row, row + classes) - row) == tl[i] ? 1 : 0;
  }
  return fraction(correct, te.n);
}

}  // namespace cz::learn
