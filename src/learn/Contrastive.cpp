// Contrastive pre-training: two views, Conv4 plus a projection head, local or global negatives,
// and momentum contrast's key encoder and queue.
#include "cezanne/learn/Contrastive.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/Allgather.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::learn {
namespace {

// Streams of the randomness: the initial queue, and the views of evaluation rows (training
// views are keyed by the run's seed and the step, evaluation rows by their index).
constexpr uint64_t kQueueStream = 0x6d6f636f2d717565ull;  // "moco-que"
constexpr uint64_t kEvalViews = 0x636f6e2d6576616cull;    // "con-eval"
constexpr int64_t kBodyParams = 4 * nn::Conv4::kBlocks;   // Conv4's blocks, without its head
const std::string kKeyPrefix = "moco.key.";

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

template <class State>
auto& entry(State& state, const std::string& name) {
  for (auto& [key, tensor] : state)
    if (key == name) return tensor;
  throw std::invalid_argument("moco: no state '" + name + "'");
}

// View v of rows [T, 2, B, ...] as [T, B, ...].
Tensor view_of(const Tensor& views, int64_t v) {
  const Shape s = views.shape();
  const int64_t rows = s[0] / 2, b = s[1];
  const Tensor paired = views.reshape({rows, 2, b, -1}).slice(1, v, v + 1).contiguous();
  return paired.reshape({rows, b, s[2], s[3], s[4]});
}

// Conv4's blocks with batch norm per group: images [G, n, C, H, W] -> features [G x n, F].
Var features(const nn::ParamList& p, const Var& images) {
  const int64_t g = images.size(0), n = images.size(1);
  Var h = reshape(images, {g * n, images.size(2), images.size(3), images.size(4)});
  for (int64_t b = 0; b < nn::Conv4::kBlocks; ++b) {
    const Var& weight = p[static_cast<size_t>(4 * b)];
    const Var y = conv2d(h, weight, p[static_cast<size_t>(4 * b + 1)], 1, 1);  // [g n, F, s, s]
    const int64_t f = y.size(1), side = y.size(2);
    auto per_group = [&](const Var& v) { return contiguous(expand(unsqueeze(v, 0), {g, f})); };
    const Var pooled = relu(batch_norm_max_pool2d(reshape(y, {g, n, f, side, side}),
                                                  per_group(p[static_cast<size_t>(4 * b + 2)]),
                                                  per_group(p[static_cast<size_t>(4 * b + 3)]), 1e-5, true));
    h = reshape(pooled, {g * n, f, pooled.size(3), pooled.size(4)});
  }
  return reshape(h, {g * n, -1});
}

// The projection head's sizes F-P-P. The constructor checks the sizes after its initializers run,
// so sizes below 1 become 1 here only to keep the MLP constructible until then.
std::vector<int64_t> head_sizes(const ContrastiveSpec& s) {
  const int64_t features = s.filters * (s.image / 16) * (s.image / 16), p = std::max<int64_t>(s.projection, 1);
  return {std::max<int64_t>(features, 1), p, p};
}

}  // namespace

Contrast parse_contrast(const std::string& name) {
  if (name == "triplet") return Contrast::triplet;
  if (name == "nt_xent") return Contrast::nt_xent;
  if (name == "moco") return Contrast::moco;
  throw std::invalid_argument("--algo: triplet, nt_xent or moco, got '" + name + "'");
}

const char* contrast_name(Contrast contrast) {
  switch (contrast) {
    case Contrast::triplet: return "triplet";
    case Contrast::nt_xent: return "nt_xent";
    case Contrast::moco: return "moco";
  }
  return "nt_xent";
}

Contrastive::Contrastive(ContrastiveSpec spec, int64_t examples_per_row)
    : spec_(spec),
      examples_(examples_per_row),
      head_(head_sizes(spec)) {
  auto fail = [](const std::string& option, const std::string& why) {
    throw std::invalid_argument("--" + option + ": " + why);
  };
  if (spec.filters < 1) fail("filters", "must be >= 1, got " + std::to_string(spec.filters));
  if (spec.projection < 1) fail("projection", "must be >= 1, got " + std::to_string(spec.projection));
  if (examples_per_row < 1) fail("examples-per-task", "must be >= 1, got " + std::to_string(examples_per_row));
  if (!(spec.margin >= 0.0) || !std::isfinite(spec.margin)) fail("margin", "must be >= 0, got " + number(spec.margin));
  if (!(spec.temperature > 0.0) || !std::isfinite(spec.temperature))
    fail("contrast-temperature", "must be > 0, got " + number(spec.temperature));
  if (!(spec.momentum >= 0.0 && spec.momentum < 1.0)) fail("momentum", "must be in [0, 1), got " + number(spec.momentum));
  if (spec.queue < 1) fail("queue", "must be >= 1, got " + std::to_string(spec.queue));
  if (spec.global_negatives && spec.contrast == Contrast::moco)
    fail("negatives", "global is for triplet and nt_xent (moco's negatives are its queue of every rank's keys)");
  spec_.augment.validate();
  const nn::Conv4 body(spec.filters, spec.channels, spec.image, 1);  // throws on a small image
  const std::vector<nn::ParamSpec> all = body.specs();
  specs_.assign(all.begin(), all.begin() + kBodyParams);
  for (nn::ParamSpec p : head_.specs()) {
    p.name = "projection." + p.name;
    specs_.push_back(p);
  }
}

std::vector<nn::ParamSpec> Contrastive::specs() const { return specs_; }

std::string Contrastive::description() const {
  std::string d = name() + " conv4 filters=" + std::to_string(spec_.filters) + " channels=" +
                  std::to_string(spec_.channels) + " image=" + std::to_string(spec_.image) +
                  " projection=" + std::to_string(spec_.projection);
  switch (spec_.contrast) {
    case Contrast::triplet: d += " margin=" + number(spec_.margin) + " mining=" + mining_name(spec_.mining); break;
    case Contrast::nt_xent: d += " temperature=" + number(spec_.temperature); break;
    case Contrast::moco:
      d += " temperature=" + number(spec_.temperature) + " queue=" + std::to_string(spec_.queue) +
           " momentum=" + number(spec_.momentum);
      break;
  }
  if (spec_.contrast != Contrast::moco) d += spec_.global_negatives ? " negatives=global" : " negatives=local";
  return d;
}

Var Contrastive::project(const nn::ParamList& theta, const Var& images) const {
  const nn::ParamList head(theta.begin() + kBodyParams, theta.end());
  return l2_normalize(head_.forward(head, features(theta, images)), 1);
}

Var Contrastive::embed(const nn::ParamList& theta, const Tensor& images) const {
  const Tensor x = images.to(theta.front().dtype());
  return features(theta, Var(x.reshape({1, x.size(0), x.size(1), x.size(2), x.size(3)})));
}

Tensor Contrastive::views(const data::TaskBatch& batch, uint64_t seed, DType dtype, Device device) const {
  const Shape s = batch.inputs.shape();  // [T, B, C, H, W]
  const int64_t rows = s[0], b = s[1];
  // The augmentations run on the host: an explicit copy there and back.
  const Tensor host = batch.inputs.to(Device::cpu()).contiguous().reshape({rows * b, s[2], s[3], s[4]});
  std::vector<int64_t> keys;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < b; ++i) keys.push_back(batch.slots.at(static_cast<size_t>(r)) * b + i);
  std::vector<Tensor> both;
  for (int64_t v = 0; v < 2; ++v)
    both.push_back(data::augment(host, spec_.augment, seed, batch.step, keys, v).reshape({rows, 1, b, s[2], s[3], s[4]}));
  return cat(both, 1).reshape({2 * rows, b, s[2], s[3], s[4]}).to(dtype).to(device);
}

Var Contrastive::pair_losses(const Var& embeddings, const Var& candidates, int64_t first) const {
  const int64_t n = embeddings.size(0), m = candidates.size(0), b = examples_, rows = n / (2 * b);
  // Embedding a is (row, view, example) = (a / 2B, a / B mod 2, a mod B); its example is
  // (a / 2B) x B + a mod B, the same numbering for candidates.
  auto example = [b](int64_t a) { return (a / (2 * b)) * b + a % b; };
  auto other_view = [b](int64_t a) { return (a / b) % 2 == 0 ? a + b : a - b; };
  std::vector<int64_t> positive_local, positive_global, self;
  for (int64_t a = 0; a < n; ++a) {
    positive_local.push_back(other_view(a));
    positive_global.push_back(first + other_view(a));
    self.push_back(first + a);
  }
  const Device device = embeddings.data().device();
  Var losses;
  if (spec_.contrast == Contrast::triplet) {
    std::vector<double> negative(static_cast<size_t>(n * m));
    for (int64_t a = 0; a < n; ++a)
      for (int64_t j = 0; j < m; ++j) negative[static_cast<size_t>(a * m + j)] = example(j) != example(first + a);
    const Var positives = index_select(embeddings, 0, Tensor::from_i64(positive_local, {n}, device));
    losses = triplet_loss(embeddings, positives, candidates,
                          Tensor::from(negative, {n, m}, embeddings.dtype(), device), spec_.margin, spec_.mining);
  } else {
    losses = nt_xent(embeddings, candidates, Tensor::from_i64(positive_global, {n}, device),
                     Tensor::from_i64(self, {n}, device), spec_.temperature);
  }
  return mean(reshape(losses, {rows, 2 * b}), {1});
}

nn::ParamList Contrastive::key_encoder(const State& state) const {
  nn::ParamList key;
  for (const nn::ParamSpec& p : specs_) key.emplace_back(entry(state, kKeyPrefix + p.name));
  return key;
}

Var Contrastive::moco_losses(const nn::ParamList& theta, const nn::ParamList& key, const Tensor& queue,
                             const Tensor& views) const {
  const int64_t rows = views.size(0) / 2, b = views.size(1);
  const Var queries = project(theta, Var(view_of(views, 0)));
  Var keys;
  {
    NoGradGuard no_grad;
    keys = project(key, Var(view_of(views, 1)));
  }
  return mean(reshape(moco_loss(queries, keys, Var(queue), spec_.temperature), {rows, b}), {1});
}

Var Contrastive::losses(const nn::ParamList& theta, const data::TaskBatch& batch, uint64_t seed) const {
  const Tensor v = views(batch, seed, theta.front().dtype(), theta.front().data().device());
  if (spec_.contrast == Contrast::moco) {
    const State state = initial_state(theta, seed);
    return moco_losses(theta, key_encoder(state), entry(state, "moco.queue"), v);
  }
  const Var z = project(theta, Var(v));
  return pair_losses(z, z, 0);
}

Var Contrastive::step_losses(const nn::ParamList& theta, const State& state, const data::TaskBatch& batch,
                             uint64_t seed, Collectives& ranks) const {
  if (!spec_.global_negatives) {
    if (spec_.contrast != Contrast::moco) return losses(theta, batch, seed);
    const Tensor v = views(batch, seed, theta.front().dtype(), theta.front().data().device());
    return moco_losses(theta, key_encoder(state), entry(state, "moco.queue"), v);
  }
  const Var z = project(theta, Var(views(batch, seed, theta.front().dtype(), theta.front().data().device())));
  // Rows are owned in slot order, rank by rank: this rank's embeddings start at its first slot's.
  return pair_losses(z, allgather(ranks, z), batch.slots.front() * 2 * examples_);
}

UnlabelledObjective::State Contrastive::initial_state(const nn::ParamList& theta, uint64_t seed) const {
  if (spec_.contrast != Contrast::moco) return {};
  State state;
  for (size_t i = 0; i < specs_.size(); ++i) state.emplace_back(kKeyPrefix + specs_[i].name, theta[i].data().clone());
  NoGradGuard no_grad;
  const Tensor noise = Tensor::normal({spec_.queue, spec_.projection}, 0.0, 1.0, mix_key({seed, kQueueStream}), 0,
                                      theta.front().dtype(), theta.front().data().device());
  state.emplace_back("moco.queue", l2_normalize(Var(noise), 1).data());
  state.emplace_back("moco.next", Tensor::from_i64({0}, {1}));
  return state;
}

void Contrastive::update_state(State& state, const nn::ParamList& theta, const data::TaskBatch& batch, uint64_t seed,
                               Collectives& ranks) const {
  if (spec_.contrast != Contrast::moco) return;
  NoGradGuard no_grad;
  const DType dtype = theta.front().dtype();
  const Device device = theta.front().data().device();
  // The keys of the loss: view 1 through the key encoder before its update.
  const Tensor keys = batch.inputs.size(0) == 0
                          ? Tensor::zeros({0, spec_.projection}, dtype, device)
                          : project(key_encoder(state), Var(view_of(views(batch, seed, dtype, device), 1))).data();
  const Tensor step_keys = ranks.gather_rows(keys).rows;  // [N, P], slot order: the same on every rank
  const int64_t n = step_keys.size(0);
  for (auto& [name, tensor] : state) {
    if (name.rfind(kKeyPrefix, 0) == 0) {
      for (size_t i = 0; i < specs_.size(); ++i)
        if (name == kKeyPrefix + specs_[i].name)
          tensor = binary(BinaryOp::add, affine(tensor, spec_.momentum, 0.0),
                          affine(theta[i].data(), 1.0 - spec_.momentum, 0.0));
    }
  }
  Tensor& next = entry(state, "moco.next");
  Tensor& queue = entry(state, "moco.queue");
  const int64_t at = static_cast<int64_t>(next.item());
  if (spec_.queue % n != 0)
    throw std::invalid_argument("--queue: " + std::to_string(spec_.queue) + " keys are not a multiple of the " +
                                std::to_string(n) + " keys of a step");
  queue = cat({queue.slice(0, 0, at), step_keys.to(queue.dtype()), queue.slice(0, at + n, spec_.queue)}, 0);
  next = Tensor::from_i64({(at + n) % spec_.queue}, {1});
}

std::vector<double> Contrastive::evaluate(const nn::ParamList& theta, const Tensor& inputs, int64_t index,
                                          uint64_t seed) const {
  NoGradGuard no_grad;
  data::TaskBatch row;
  row.inputs = inputs;
  row.slots = {0};
  row.step = index;
  const Tensor v = views(row, mix_key({seed, kEvalViews}), theta.front().dtype(), theta.front().data().device());
  if (spec_.contrast == Contrast::moco) {
    // No queue outside training: the row's other keys are the negatives (theta as key encoder).
    const int64_t b = inputs.size(1);
    std::vector<int64_t> own(static_cast<size_t>(b)), none(static_cast<size_t>(b), -1);
    for (int64_t i = 0; i < b; ++i) own[static_cast<size_t>(i)] = i;
    const Device device = theta.front().data().device();
    const Var loss = nt_xent(project(theta, Var(view_of(v, 0))), project(theta, Var(view_of(v, 1))),
                             Tensor::from_i64(own, {b}, device), Tensor::from_i64(none, {b}, device),
                             spec_.temperature);
    return {mean(loss).item()};
  }
  const Var z = project(theta, Var(v));
  return {pair_losses(z, z, 0).item()};
}

}  // namespace cz::learn
