// TaskConditionedNet: Conv4 conditioned on the task of each row, one batched op per layer on the task axis.
#include "cezanne/nn/TaskConditionedNet.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <utility>

#include "cezanne/autograd/ops/Indexing.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/nn/Conv2d.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/Linear.hpp"
#include "cezanne/nn/Model.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz::nn {

namespace {

constexpr std::array<std::pair<Conditioning, const char*>, 7> kConditionings = {{
    {Conditioning::share_nothing, "share_nothing"},
    {Conditioning::concat_input, "concat_input"},
    {Conditioning::concat_features, "concat_features"},
    {Conditioning::additive, "additive"},
    {Conditioning::multiplicative, "multiplicative"},
    {Conditioning::film, "film"},
    {Conditioning::multi_head, "multi_head"},
}};

constexpr size_t kTrunk = 4 * Conv4::kBlocks;  // conv.weight, conv.bias, bn.gamma, bn.beta per block
constexpr size_t kHead = kTrunk;               // head.weight, then head.bias

bool uses_z(Conditioning c) {
  return c == Conditioning::concat_input || c == Conditioning::concat_features;
}
bool has_gain(Conditioning c) {
  return c == Conditioning::multiplicative || c == Conditioning::film;
}
bool has_bias(Conditioning c) { return c == Conditioning::additive || c == Conditioning::film; }

// Sizes come from the store and from options checked on the command line: a size below 1 here
// is a caller's mistake, named by its field.
void require_positive(const char* field, int64_t value) {
  if (value < 1)
    throw std::invalid_argument(std::string("TaskConditionedNet: ") + field + " must be >= 1, got " +
                                std::to_string(value));
}

// A Conv4 initializer for one task's copy, as U(-bound, bound) over a table with a leading
// [num_tasks] axis (xavier's fans would otherwise count the task axis).
Init per_task_init(const Init& init, const Shape& one_task) {
  if (init.kind != Init::xavier_uniform && init.kind != Init::kaiming_uniform) return init;
  const double bound = init_bound(init, one_task);
  return {Init::uniform, -bound, bound};
}

ParamSpec with_task_axis(ParamSpec s, int64_t num_tasks) {
  s.init = per_task_init(s.init, s.shape);
  s.shape.insert(s.shape.begin(), num_tasks);
  return s;
}

}  // namespace

Conditioning parse_conditioning(const std::string& text) {
  std::string names;
  for (const auto& [c, name] : kConditionings) {
    if (text == name) return c;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  throw std::invalid_argument("--conditioning: expected one of " + names + ", got '" + text + "'");
}

const char* to_string(Conditioning c) {
  for (const auto& [value, name] : kConditionings)
    if (value == c) return name;
  return "?";
}

TaskConditionedNet::TaskConditionedNet(TaskNetSpec spec) : spec_(spec) {
  require_positive("filters", spec_.filters);
  require_positive("channels", spec_.channels);
  require_positive("image", spec_.image);
  require_positive("num_tasks", spec_.num_tasks);
  require_positive("outputs", spec_.outputs);
  if (spec_.descriptor < 0)
    throw std::invalid_argument("--task-descriptor " + std::to_string(spec_.descriptor) +
                                ": must be >= 0");
  if (spec_.descriptor > 0 && !uses_z(spec_.conditioning))
    throw std::invalid_argument("--task-descriptor " + std::to_string(spec_.descriptor) +
                                ": only concat_input and concat_features use a task embedding, not " +
                                to_string(spec_.conditioning));
  Conv4(spec_.filters, spec_.channels, spec_.image, spec_.outputs);  // Conv4's image check
}

int64_t TaskConditionedNet::feature_size() const {
  return Conv4(spec_.filters, spec_.channels, spec_.image, spec_.outputs).feature_size();
}

int64_t TaskConditionedNet::descriptor_size() const {
  if (!uses_z(spec_.conditioning)) return 0;
  return spec_.descriptor > 0 ? spec_.descriptor : spec_.num_tasks;
}

std::vector<ParamSpec> TaskConditionedNet::specs() const {
  const Conditioning c = spec_.conditioning;
  const int64_t zdim = descriptor_size();
  const int64_t in = spec_.channels + (c == Conditioning::concat_input ? zdim : 0);
  std::vector<ParamSpec> specs = Conv4(spec_.filters, in, spec_.image, spec_.outputs).specs();
  if (c == Conditioning::concat_features)
    specs[kHead].shape = {spec_.outputs, feature_size() + zdim};
  if (c == Conditioning::share_nothing)
    for (ParamSpec& s : specs) s = with_task_axis(std::move(s), spec_.num_tasks);
  if (c == Conditioning::multi_head)
    for (size_t i = kHead; i < kHead + 2; ++i)
      specs[i] = with_task_axis(std::move(specs[i]), spec_.num_tasks);
  for (int b = 0; b < Conv4::kBlocks; ++b) {
    const std::string prefix = "block" + std::to_string(b);
    if (has_gain(c))
      specs.push_back({prefix + ".task_gain", {spec_.num_tasks, spec_.filters}, {Init::ones}});
    if (has_bias(c))
      specs.push_back({prefix + ".task_bias", {spec_.num_tasks, spec_.filters}, {Init::zeros}});
  }
  if (spec_.descriptor > 0)
    specs.push_back(
        {"task_embedding", {spec_.num_tasks, spec_.descriptor}, {Init::normal, 0.0, 0.1}});
  return specs;
}

std::vector<bool> TaskConditionedNet::shared() const {
  const Conditioning c = spec_.conditioning;
  const size_t n = specs().size();
  std::vector<bool> flags(n, false);
  if (c == Conditioning::share_nothing) return flags;
  for (size_t i = 0; i < kHead; ++i) flags[i] = true;
  if (c != Conditioning::multi_head) flags[kHead] = flags[kHead + 1] = true;
  return flags;  // task_gain / task_bias / task_embedding stay false
}

void TaskConditionedNet::check_params(const ParamList& p) const {
  const std::vector<ParamSpec> expected = specs();
  if (p.size() != expected.size())
    throw std::invalid_argument("TaskConditionedNet: expected " + std::to_string(expected.size()) +
                                " parameters, got " + std::to_string(p.size()));
  for (size_t i = 0; i < p.size(); ++i) {
    if (!p[i].defined())
      throw std::invalid_argument("TaskConditionedNet: parameter '" + expected[i].name +
                                  "' is undefined");
    if (p[i].shape() != expected[i].shape)
      throw std::invalid_argument("TaskConditionedNet: parameter '" + expected[i].name +
                                  "' has shape " + shape_str(p[i].shape()) + ", expected " +
                                  shape_str(expected[i].shape));
    if (p[i].dtype() != p[0].dtype())
      throw DTypeError("TaskConditionedNet: parameter '" + expected[i].name + "' is " +
                       dtype_name(p[i].dtype()) + ", parameter '" + expected[0].name + "' is " +
                       dtype_name(p[0].dtype()));
  }
}

Var TaskConditionedNet::forward(const ParamList& p, const Var& x, const Tensor& tasks_in) const {
  check_params(p);
  const Conditioning c = spec_.conditioning;
  const DType dtype = p[0].dtype();
  if (x.dtype() != dtype || !is_floating(dtype))
    throw DTypeError(std::string("TaskConditionedNet::forward: x is ") + dtype_name(x.dtype()) +
                     ", parameters are " + dtype_name(dtype) + " (need one floating dtype)");
  const Shape& s = x.shape();
  if (s.size() != 5 || s[2] != spec_.channels || s[3] != spec_.image || s[4] != spec_.image)
    throw ShapeError("TaskConditionedNet::forward: x " + shape_str(s) + " must be [T, B, " +
                     std::to_string(spec_.channels) + ", " + std::to_string(spec_.image) + ", " +
                     std::to_string(spec_.image) + "]");
  const int64_t rows = s[0], batch = s[1];
  if (!tasks_in.defined() || tasks_in.dtype() != DType::i64)
    throw DTypeError(std::string("TaskConditionedNet::forward: tasks must be i64, got ") +
                     (tasks_in.defined() ? dtype_name(tasks_in.dtype()) : "an undefined tensor"));
  if (tasks_in.shape() != Shape{rows})
    throw ShapeError("TaskConditionedNet::forward: tasks " + shape_str(tasks_in.shape()) +
                     " must be [" + std::to_string(rows) + "], one task per row of x " +
                     shape_str(s));
  const std::vector<int64_t> ids = tasks_in.to_i64_vector();
  for (size_t t = 0; t < ids.size(); ++t)
    if (ids[t] < 0 || ids[t] >= spec_.num_tasks)
      throw std::invalid_argument("TaskConditionedNet::forward: tasks[" + std::to_string(t) +
                                  "] = " + std::to_string(ids[t]) + " is out of range [0, " +
                                  std::to_string(spec_.num_tasks) + ")");
  const Tensor tasks = tasks_in.contiguous().to(x.device());
  // Rows [T, ...] of a per-task table [num_tasks, ...].
  auto gather_rows = [&](const Var& table) { return cz::index_select(table, 0, tasks); };

  // Per-row trunk and head parameters [T, ...]: one batched op per layer below.
  ParamList rowp;
  if (c == Conditioning::share_nothing) {
    for (size_t i = 0; i < kHead + 2; ++i) rowp.push_back(gather_rows(p[i]));
  } else {
    rowp = expand_to_tasks(ParamList(p.begin(), p.begin() + kTrunk), rows);
    if (c == Conditioning::multi_head) {
      rowp.push_back(gather_rows(p[kHead]));
      rowp.push_back(gather_rows(p[kHead + 1]));
    } else {
      // A shared head stays [outputs, in]: linear runs [T, B, in] as one GEMM.
      rowp.push_back(p[kHead]);
      rowp.push_back(p[kHead + 1]);
    }
  }

  // z [T, zdim]: one-hot of each row's task (a constant) or its learned embedding.
  Var z;
  if (uses_z(c)) {
    if (spec_.descriptor > 0) {
      z = gather_rows(p.back());
    } else {
      const Tensor all = Tensor::arange(spec_.num_tasks, DType::f64, x.device());
      z = Var(cz::binary(BinaryOp::eq, tasks.to(DType::f64).unsqueeze(1), all).to(dtype));
    }
  }
  const int64_t zdim = descriptor_size();

  Var y = x;
  if (c == Conditioning::concat_input) {
    // z as constant channels: [T, 1, zdim, 1, 1] -> [T, B, zdim, H, W], after x's channels.
    Var zc = cz::expand(cz::reshape(z, {rows, 1, zdim, 1, 1}),
                        {rows, batch, zdim, spec_.image, spec_.image});
    y = cz::cat({x, zc}, 2);
  }
  size_t table = kHead + 2;  // the per-task gain / bias tables follow the head, block by block
  for (int b = 0; b < Conv4::kBlocks; ++b) {
    Var gamma = rowp[4 * b + 2], beta = rowp[4 * b + 3];  // [T, filters]
    // gain * (gamma * xhat + beta) + bias, folded into batch norm's own affine.
    if (has_gain(c)) {
      const Var gain = gather_rows(p[table++]);
      gamma = gamma * gain;
      beta = beta * gain;
    }
    if (has_bias(c)) beta = beta + gather_rows(p[table++]);
    y = conv_block(y, rowp[4 * b], rowp[4 * b + 1], gamma, beta, /*task_axis=*/true);
  }
  y = cz::flatten(y, 2);  // [T, B, F]
  if (c == Conditioning::concat_features)
    y = cz::cat({y, cz::expand(cz::unsqueeze(z, 1), {rows, batch, zdim})}, 2);  // [T, B, F + zdim]
  return linear(y, rowp[kHead], rowp[kHead + 1]);  // [T, B, outputs]
}

}  // namespace cz::nn
