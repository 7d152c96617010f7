// Task weightings: names, manual weights files, worst-task (group DRO) weights and uncertainty weighting.
#include "cezanne/learn/TaskWeighting.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <unordered_map>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/tensor/Shape.hpp"

namespace cz::learn {
namespace {

constexpr const char* kWeightingNames[] = {"uniform", "manual", "worst_task", "uncertainty", "pcgrad"};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

std::string trim(const std::string& text) {
  size_t begin = 0, end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

/// The whole token as a finite number >= 0 (from_chars: locale-independent, no leading '+' or spaces).
bool parse_weight(const std::string& text, double* out) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0.0) return false;
  *out = value + 0.0;  // -0 -> +0
  return true;
}

/// Shortest round-trip text of a double ("0.5", "1e-09", "nan").
std::string number(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace

Weighting parse_weighting(const std::string& text) {
  for (size_t i = 0; i < std::size(kWeightingNames); ++i)
    if (text == kWeightingNames[i]) return static_cast<Weighting>(i);
  throw std::invalid_argument("--weighting: expected uniform, manual, worst_task, uncertainty or pcgrad, got '" +
                              text + "'");
}

const char* to_string(Weighting w) {
  const auto i = static_cast<size_t>(w);
  return i < std::size(kWeightingNames) ? kWeightingNames[i] : "unknown";
}

std::vector<double> read_task_weights(const std::filesystem::path& file, const std::vector<std::string>& tasks) {
  const std::string who = "--task-weights " + file.string();
  // Read everything first, so a read error is reported as such and not as a parse error of a partial line.
  std::vector<std::string> lines;
  {
    errno = 0;
    std::ifstream in(file);
    if (!in.is_open()) throw std::invalid_argument(who + ": cannot read: " + std::strerror(errno));
    for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
    if (in.bad()) throw std::invalid_argument(who + ": cannot read: " + std::strerror(errno));
  }
  std::unordered_map<std::string, size_t> index;
  for (size_t t = 0; t < tasks.size(); ++t) index.emplace(tasks[t], t);
  std::vector<double> weights(tasks.size(), 1.0);
  std::vector<uint8_t> listed(tasks.size(), 0);
  for (size_t n = 0; n < lines.size(); ++n) {
    const std::string where = who + ":" + std::to_string(n + 1) + ": ";
    const std::string content = lines[n].substr(0, lines[n].find('#'));
    // The weight is the last field; the task is the rest, so names may hold spaces
    // ("Anatolian Hieroglyphs 2").
    std::vector<std::string> words = split_words(content);
    if (words.empty()) continue;
    if (words.size() < 2)
      throw std::invalid_argument(where + "expected 'TASK WEIGHT', got '" + trim(content) + "'");
    const std::string weight = words.back();
    words.pop_back();
    std::string name = words[0];
    for (size_t w = 1; w < words.size(); ++w) name += " " + words[w];
    words = {name, weight};
    const auto it = index.find(words[0]);
    if (it == index.end()) throw std::invalid_argument(where + "unknown task '" + words[0] + "'");
    if (listed[it->second]) throw std::invalid_argument(where + "task '" + words[0] + "' listed twice");
    if (!parse_weight(words[1], &weights[it->second]))
      throw std::invalid_argument(where + "weight '" + words[1] + "' of task '" + words[0] +
                                  "' is not a finite number >= 0");
    listed[it->second] = 1;
  }
  return weights;
}

WorstTaskState::WorstTaskState(int64_t num_tasks) {
  if (num_tasks < 0)
    throw std::invalid_argument("WorstTaskState: num_tasks must be >= 0, got " + std::to_string(num_tasks));
  const auto n = static_cast<size_t>(num_tasks);
  weights.assign(n, 1.0 / static_cast<double>(num_tasks));
  estimates.assign(n, 0.0);
  seen.assign(n, 0);
}

void update_worst_task(WorstTaskState& state, const std::vector<int64_t>& tasks, const std::vector<double>& losses,
                       double eta, double decay) {
  const std::string who = "update_worst_task: ";
  const size_t n = state.weights.size();
  if (state.estimates.size() != n || state.seen.size() != n)
    throw std::invalid_argument(who + "state has " + std::to_string(n) + " weights, " +
                                std::to_string(state.estimates.size()) + " estimates and " +
                                std::to_string(state.seen.size()) + " seen flags");
  if (tasks.size() != losses.size())
    throw std::invalid_argument(who + std::to_string(tasks.size()) + " tasks but " + std::to_string(losses.size()) +
                                " losses");
  if (!(eta > 0.0) || !std::isfinite(eta))
    throw std::invalid_argument(who + "eta must be finite and > 0, got " + number(eta));
  if (!(decay > 0.0 && decay <= 1.0))
    throw std::invalid_argument(who + "decay must be in (0, 1], got " + number(decay));
  std::vector<double> total(n, 0.0);
  std::vector<int64_t> count(n, 0);
  for (size_t r = 0; r < tasks.size(); ++r) {
    if (tasks[r] < 0 || static_cast<size_t>(tasks[r]) >= n)
      throw std::invalid_argument(who + "task " + std::to_string(tasks[r]) + " of row " + std::to_string(r) +
                                  " is out of range [0, " + std::to_string(n) + ")");
    if (!std::isfinite(losses[r]))
      throw std::invalid_argument(who + "loss of row " + std::to_string(r) + " (task " + std::to_string(tasks[r]) +
                                  ") is not finite");
    total[tasks[r]] += losses[r];
    ++count[tasks[r]];
  }
  for (size_t t = 0; t < n; ++t) {
    if (count[t] == 0) continue;
    const double mean = total[t] / static_cast<double>(count[t]);
    state.estimates[t] = state.seen[t] ? state.estimates[t] + decay * (mean - state.estimates[t]) : mean;
    state.seen[t] = 1;
  }
  // q_t * exp(eta * e_t), with e_t = 0 for unseen tasks (factor 1), all divided by exp(eta * shift): the
  // renormalized q is the same and no factor exceeds 1.
  double shift = 0.0;
  for (size_t t = 0; t < n; ++t)
    if (state.seen[t]) shift = std::max(shift, state.estimates[t]);
  double sum = 0.0;
  for (size_t t = 0; t < n; ++t) {
    const double e = state.seen[t] ? state.estimates[t] : 0.0;
    state.weights[t] *= std::exp(eta * (e - shift));
    sum += state.weights[t];
  }
  // Only an exp(-745)-sized gap between steps (eta far too large for the losses) can empty q.
  if (n > 0 && !(sum > 0.0))
    throw std::invalid_argument(who + "the weights underflowed to 0 (eta " + number(eta) +
                                " is too large for the losses)");
  for (double& q : state.weights) q /= sum;
}

Var uncertainty_weighted(const Var& losses, const Var& log_variances, const Tensor& tasks) {
  const std::string who = "uncertainty_weighted: ";
  if (losses.dim() != 1) throw std::invalid_argument(who + "losses must be [T], got " + shape_str(losses.shape()));
  if (log_variances.dim() != 1)
    throw std::invalid_argument(who + "log_variances must be [num_tasks], got " + shape_str(log_variances.shape()));
  if (tasks.dtype() != DType::i64 || tasks.dim() != 1 || tasks.size(0) != losses.size(0))
    throw std::invalid_argument(who + "tasks must be i64 " + shape_str(losses.shape()) + ", got " +
                                dtype_name(tasks.dtype()) + " " + shape_str(tasks.shape()));
  const int64_t num_tasks = log_variances.size(0);
  for (int64_t t : tasks.to_i64_vector())
    if (t < 0 || t >= num_tasks)
      throw std::invalid_argument(who + "task " + std::to_string(t) + " is out of range [0, " +
                                  std::to_string(num_tasks) + ")");
  const Var s = index_select(log_variances, 0, tasks);  // [T]
  return exp(-s) * losses + s * 0.5;
}

}  // namespace cz::learn
