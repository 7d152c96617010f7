// TaskConditionedNet: a Conv4 conditioned on a task descriptor z_i, f_theta(y | x, z_i) (multi-task learning).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cezanne/autograd/Var.hpp"
#include "cezanne/nn/ParamSpec.hpp"

namespace cz::nn {

/// How the network sees which task a row belongs to.
enum class Conditioning : uint8_t {
  share_nothing,    ///< num_tasks independent Conv4 networks: every Conv4 parameter gets a leading [num_tasks] axis, rows gathered by task
  concat_input,     ///< z (one-hot [num_tasks], or the learned embedding [descriptor]) concatenated to the input as constant extra channels: block0's conv takes C + zdim channels
  concat_features,  ///< z concatenated to the flattened features before the head: head [outputs, F + zdim]
  additive,         ///< a learned per-task bias [num_tasks, filters] added in every block after batch norm (before relu); init zeros
  multiplicative,   ///< a learned per-task gain [num_tasks, filters] multiplying in every block after batch norm; init ones
  film,             ///< both, gain then bias (FiLM), in every block
  multi_head,       ///< shared trunk, one head per task: head.weight [num_tasks, outputs, F], head.bias [num_tasks, outputs]
};

/// Values as the command line spells them: share_nothing, concat_input, concat_features, additive,
/// multiplicative, film, multi_head. Throws std::invalid_argument
/// "--conditioning: expected one of share_nothing, concat_input, ..., got 'x'".
Conditioning parse_conditioning(const std::string& text);
const char* to_string(Conditioning c);

struct TaskNetSpec {
  int64_t filters = 64, channels = 1, image = 28;  ///< the Conv4 trunk
  int64_t num_tasks = 1;
  int64_t outputs = 5;  ///< logits per task (the most classes of any task; tasks with fewer ignore the rest)
  Conditioning conditioning = Conditioning::multi_head;
  /// concat_*: 0 = one-hot z (zdim = num_tasks); > 0 = a learned task embedding "task_embedding"
  /// [num_tasks, descriptor] (N(0, 0.1)) as z. Must be 0 for the other conditionings.
  int64_t descriptor = 0;
};

/// A Conv4 trunk and head conditioned on the task of each row. Functional like nn::Model: it
/// holds sizes only and every call takes the parameter list in the order of specs().
///
/// The batch has a leading task axis, x [T, B, C, H, W], row t holding examples of task tasks[t]
/// (rows may repeat a task). Every layer is one batched op on the task axis: shared weights are
/// expanded to [T, ...] (expand_to_tasks), task-specific ones gathered from their [num_tasks, ...]
/// table by index_select along dim 0, so gradients of a table land only on the rows of tasks in
/// the batch. Batch norm uses per-row batch statistics, as Conv4::forward_tasks does.
///
/// Gain and bias (additive / multiplicative / film) act on the batch-norm output, so they fold
/// exactly into its affine: gain * (gamma * xhat + beta) + bias = (gain * gamma) * xhat +
/// (gain * beta + bias), and the block stays Conv4's fused batch-norm + pool.
class TaskConditionedNet {
 public:
  /// Throws std::invalid_argument with one line when a size is < 1
  /// ("TaskConditionedNet: filters must be >= 1, got 0"), the image is too small for Conv4 (Conv4's message), or
  /// descriptor > 0 with a conditioning that has no z to embed
  /// ("--task-descriptor 8: only concat_input and concat_features use a task embedding, not film").
  explicit TaskConditionedNet(TaskNetSpec spec);

  const TaskNetSpec& spec() const { return spec_; }

  /// Conv4's 18 parameters in Conv4's order and with its names ("block{b}.conv.weight",
  /// "block{b}.conv.bias", "block{b}.bn.gamma", "block{b}.bn.beta", "head.weight", "head.bias"),
  /// so checkpoints transfer (share_nothing: each with a leading [num_tasks] axis; concat_input:
  /// block0.conv.weight [filters, channels + zdim, 3, 3]; concat_features: head.weight
  /// [outputs, F + zdim]; multi_head: the head with a leading [num_tasks] axis); then, for
  /// additive / multiplicative / film, per block "block{b}.task_gain" (ones) and / or
  /// "block{b}.task_bias" (zeros) [num_tasks, filters]; then, with descriptor > 0,
  /// "task_embedding" [num_tasks, descriptor]. Per-task copies of a Conv4 weight are initialized
  /// as Conv4 initializes one (the same xavier bound for each task).
  std::vector<ParamSpec> specs() const;

  /// shared()[i]: parameter i is used by every task (gradient surgery projects only these). False
  /// for per-task tables, every share_nothing parameter, the multi-head heads and the task
  /// embedding.
  std::vector<bool> shared() const;

  /// Size of the flattened trunk features: filters * (image / 16)^2 (before any concatenated z).
  int64_t feature_size() const;
  /// Size of z: num_tasks (one-hot) or descriptor; 0 for conditionings without z.
  int64_t descriptor_size() const;

  /// x [T, B, channels, image, image], tasks i64 [T] with values in [0, num_tasks)
  /// -> logits [T, B, outputs]. Parameters and x share one dtype (f32 or f64).
  /// Throws std::invalid_argument when p does not fit specs() or a task is out of range,
  /// ShapeError when x or tasks has the wrong shape, DTypeError on mixed or integer dtypes.
  Var forward(const ParamList& p, const Var& x, const Tensor& tasks) const;

 private:
  void check_params(const ParamList& p) const;
  TaskNetSpec spec_;
};

}  // namespace cz::nn
