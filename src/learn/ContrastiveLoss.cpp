// Contrastive losses: triplet with hinge and mining, NT-Xent, momentum contrast's InfoNCE.
#include "cezanne/learn/ContrastiveLoss.hpp"

#include <limits>
#include <stdexcept>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::learn {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Where `mask` is 1, `values`, elsewhere `fill`: the scores whose maximum mining takes.
Tensor masked(const Tensor& mask, const Tensor& values, double fill) {
  return where(mask, values, Tensor::full({1}, fill, values.dtype(), values.device()));
}

// The column of each row's maximum [n, 1] (i64) of scores [n, m].
Tensor argmax_rows(const Tensor& scores) {
  Tensor indices;
  cz::max(scores, 1, true, &indices);
  return indices;
}

// Per row, the chosen negative's distance [n] of distances [n, m] (history kept).
Var chosen(const Var& distances, const Tensor& columns) { return squeeze(gather(distances, 1, columns), 1); }

}  // namespace

Mining parse_mining(const std::string& name) {
  if (name == "none") return Mining::none;
  if (name == "hardest") return Mining::hardest;
  if (name == "semi-hard") return Mining::semi_hard;
  throw std::invalid_argument("--mining: none, hardest or semi-hard, got '" + name + "'");
}

const char* mining_name(Mining mining) {
  switch (mining) {
    case Mining::none: return "none";
    case Mining::hardest: return "hardest";
    case Mining::semi_hard: return "semi-hard";
  }
  return "none";
}

Var triplet_loss(const Var& anchors, const Var& positives, const Var& candidates, const Tensor& negative,
                 double margin, Mining mining) {
  const Var to_positive = sum((anchors - positives) * (anchors - positives), {1});  // [n]
  const Var to_candidates = pairwise_sq_dist(anchors, candidates);                    // [n, m]
  const Tensor is_negative = negative.to(to_candidates.dtype());
  if (mining == Mining::none) {
    // Every (anchor, negative) pair is a triplet; the hinge is averaged over the anchor's negatives.
    const Var hinge = relu(unsqueeze(to_positive, 1) - to_candidates + margin) * Var(is_negative);
    return sum(hinge, {1}) / Var(sum(is_negative, {1}));
  }
  const Tensor& d = to_candidates.data();
  Tensor columns;
  if (mining == Mining::hardest) {
    columns = argmax_rows(masked(is_negative, unary(UnaryOp::neg, d), -kInfinity));
  } else {
    // Semi-hard: farther than the positive, the nearest such; rows without one take the
    // farthest negative, the least hard (no semi-hard negative means every negative is nearer).
    const Tensor farther = binary(BinaryOp::gt, d, to_positive.data().reshape({d.size(0), 1}));
    const Tensor semi_hard = binary(BinaryOp::mul, is_negative, farther);
    const Tensor nearest_semi_hard = masked(semi_hard, unary(UnaryOp::neg, d), -kInfinity);
    Tensor best;
    const Tensor value = cz::max(nearest_semi_hard, 1, true, &best);
    const Tensor farthest = argmax_rows(masked(is_negative, d, -kInfinity));
    const Tensor has_semi_hard = binary(BinaryOp::gt, value, Tensor::full({1}, -kInfinity, d.dtype(), d.device()));
    columns = where(has_semi_hard, best.to(d.dtype()), farthest.to(d.dtype())).to(DType::i64);
  }
  return relu(to_positive - chosen(to_candidates, columns) + margin);
}

Var nt_xent(const Var& anchors, const Var& candidates, const Tensor& positive, const Tensor& self, double temperature) {
  const int64_t n = anchors.size(0), m = candidates.size(0);
  const Var logits = matmul(anchors, transpose(candidates, 0, 1)) * (1.0 / temperature);  // [n, m]
  const DType dtype = logits.dtype();
  const Device device = logits.data().device();
  // The anchor itself is no candidate: its logit is -inf, which the softmax turns into 0.
  const Tensor is_self = binary(BinaryOp::eq, Tensor::arange(m, dtype, device).reshape({1, m}),
                                self.to(dtype).reshape({n, 1}));
  const Var others = where(is_self, Var(Tensor::full({1}, -kInfinity, dtype, device)), logits);
  return logsumexp(others, 1) - chosen(logits, positive.reshape({n, 1}));
}

Var moco_loss(const Var& queries, const Var& keys, const Var& queue, double temperature) {
  const Var positive = sum(queries * keys, {1}, true);          // [n, 1]
  const Var negatives = matmul(queries, transpose(queue, 0, 1));  // [n, k]
  const Var logits = cat({positive, negatives}, 1) * (1.0 / temperature);
  return logsumexp(logits, 1) - squeeze(positive, 1) * (1.0 / temperature);
}

}  // namespace cz::learn
