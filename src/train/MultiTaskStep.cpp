// The multi-task step: task rows -> per-task losses -> weighting (or gradient surgery) ->
// gradient -> reduce; the worst-task weights as persistent state.
#include <sstream>
#include <stdexcept>

#include "cezanne/train/Step.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/train/StepReducer.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/learn/GradientSurgery.hpp"
#include "cezanne/learn/TaskEvaluation.hpp"
#include "cezanne/learn/TaskWeighting.hpp"
#include "cezanne/train/Evaluation.hpp"
#include "cezanne/util/SplitList.hpp"

namespace cz::train::detail {
namespace {

class MultiTaskStep final : public Step {
 public:
  MultiTaskStep(const RunPlan& plan, nn::Params& params, dist::Communicator& comm)
      : c_(plan.config),
        objective_(*plan.objective),
        source_(*plan.tasks),
        params_(params),
        comm_(comm),
        reducer_(comm, params, c_.meta_batch, c_.overlap == "on", static_cast<size_t>(c_.bucket_kb) << 10),
        weighting_(learn::parse_weighting(c_.weighting)),
        manual_(plan.task_weights),
        eval_split_(plan.eval_split),
        worst_(objective_.num_tasks()),
        mine_(owned_tasks(c_.meta_batch, comm.rank(), comm.size())) {
    const std::vector<bool> shared = objective_.shared();
    for (size_t i = 0; i < shared.size(); ++i)
      for (int64_t k = params_.offset(i); k < params_.offset(i) + params_.numel(i); ++k)
        shared_.push_back(shared[i]);
  }

  StepSums gradient(int64_t step) override {
    const data::TaskBatch batch = timed_fetch(
        sampling_seconds_, [&] { return source_.sample(data::Split::train, step, mine_).to(params_.device()); });
    StepSums sums;
    rows_.clear();
    if (weighting_ == learn::Weighting::pcgrad) {
      surgery(step, batch, sums);
    } else {
      const int64_t rows = static_cast<int64_t>(mine_.size());
      // Rows are small (--examples-per-task images each): all of a rank's in one pass unless
      // --tasks-per-pass asks for fewer.
      const int64_t pass = c_.tasks_per_pass == 0 ? std::max<int64_t>(rows, 1) : c_.tasks_per_pass;
      for (int64_t begin = 0; begin < rows; begin += pass) {
        const data::TaskBatch part = batch.rows(begin, std::min(begin + pass, rows));
        const learn::TaskLosses out = objective_.losses(params_.list(), part);
        const Var loss = sum(weighted(out.losses, part));
        if (begin + pass >= rows) reducer_.before_last_backward();
        loss.backward();
        record(part, out, sums);
      }
      // The sum over this rank's rows; the reducer sums over ranks and divides by the rows.
      reducer_.reduce();
    }
    if (weighting_ == learn::Weighting::worst_task) gather_rows();
    return sums;
  }

  void after_step(int64_t) override {
    if (weighting_ != learn::Weighting::worst_task) return;
    learn::update_worst_task(worst_, gathered_tasks_, gathered_losses_, c_.worst_task_eta,
                             c_.worst_task_decay);
  }

  learn::EvalResult evaluate(const std::function<void()>& before_each) override {
    return learn::summarize_tasks(
        train::evaluate_tasks(objective_, params_.list(), source_, eval_split_, &comm_, before_each));
  }

  std::string describe(const learn::EvalResult& r) const override {
    std::ostringstream s;
    s.precision(2);
    s << std::fixed << "mean task accuracy " << 100 * r.mean << "% ± " << 100 * r.ci95 << "% ("
      << r.episodes << " tasks)";
    return s.str();
  }

  std::vector<std::pair<std::string, Tensor>> state() const override {
    if (weighting_ != learn::Weighting::worst_task) return {};
    const int64_t n = objective_.num_tasks();
    std::vector<double> seen(worst_.seen.begin(), worst_.seen.end());
    return {{"worst_task.weights", Tensor::from(worst_.weights, {n}, DType::f64)},
            {"worst_task.estimates", Tensor::from(worst_.estimates, {n}, DType::f64)},
            {"worst_task.seen", Tensor::from(seen, {n}, DType::f64)}};
  }

  void load_state(const std::vector<std::pair<std::string, Tensor>>& state) override {
    if (weighting_ != learn::Weighting::worst_task) return;
    auto find = [&](const std::string& name) {
      for (const auto& [key, tensor] : state)
        if (key == name && tensor.numel() == objective_.num_tasks()) return tensor.to_vector();
      throw std::invalid_argument("checkpoint: no state '" + name + "' of " +
                                  std::to_string(objective_.num_tasks()) + " tasks");
    };
    worst_.weights = find("worst_task.weights");
    worst_.estimates = find("worst_task.estimates");
    const std::vector<double> seen = find("worst_task.seen");
    worst_.seen.assign(seen.begin(), seen.end());
  }

  ReductionStats reduction() const override { return reducer_.stats(); }
  double sampling_seconds() const override { return sampling_seconds_; }

 private:
  // Row r's objective before the sum: its loss times its task's weight (uniform 1, manual the
  // file's, worst-task num_tasks * q, so that uniform q is the uniform objective), or the
  // uncertainty-weighted loss.
  Var weighted(const Var& losses, const data::TaskBatch& part) const {
    const int64_t rows = static_cast<int64_t>(part.tasks.size());
    if (weighting_ == learn::Weighting::uncertainty)
      return learn::uncertainty_weighted(losses, params_.list()[objective_.log_variance_index()],
                                         Tensor::from_i64(part.tasks, {rows}, params_.device()));
    if (weighting_ == learn::Weighting::uniform) return losses;
    std::vector<double> w;
    for (const int64_t t : part.tasks)
      w.push_back(weighting_ == learn::Weighting::manual
                      ? manual_[t]
                      : static_cast<double>(objective_.num_tasks()) * worst_.weights[t]);
    return losses * Var(Tensor::from(w, {rows}, losses.dtype(), params_.device()));
  }

  void record(const data::TaskBatch& part, const learn::TaskLosses& out, StepSums& sums) {
    const std::vector<double> l = out.losses.data().to_vector();
    for (size_t r = 0; r < l.size(); ++r) {
      sums.loss += l[r];
      sums.accuracy += out.accuracy[r];
      rows_.emplace_back(part.tasks[r], l[r]);
    }
  }

  // Gradient surgery across ranks: each row's gradient alone, every row gathered in slot order,
  // the shared parameters' part projected by PCGrad and the rest summed, identically on every
  // rank: the result does not depend on the rank count.
  void surgery(int64_t step, const data::TaskBatch& batch, StepSums& sums) {
    const size_t width = static_cast<size_t>(params_.numel());
    std::vector<float> local;
    local.reserve(mine_.size() * width);
    for (size_t r = 0; r < mine_.size(); ++r) {
      params_.zero_grad();
      const data::TaskBatch row = batch.rows(static_cast<int64_t>(r), static_cast<int64_t>(r) + 1);
      const learn::TaskLosses out = objective_.losses(params_.list(), row);
      sum(out.losses).backward();
      record(row, out, sums);
      const std::vector<float> g = params_.flat_grad().to_f32_vector();  // PCGrad runs on the host
      local.insert(local.end(), g.begin(), g.end());
    }
    std::vector<size_t> counts = comm_.allgather_counts(local.size());
    std::vector<float> all(static_cast<size_t>(c_.meta_batch) * width);
    comm_.allgatherv(local.data(), all.data(), counts, dist::DataType::f32);

    const int64_t rows = c_.meta_batch;
    std::vector<double> shared_rows;
    std::vector<double> total(width, 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (size_t k = 0; k < width; ++k) {
        const double g = all[static_cast<size_t>(r) * width + k];
        if (shared_[k]) shared_rows.push_back(g);
        else total[k] += g;
      }
    const int64_t p = rows == 0 ? 0 : static_cast<int64_t>(shared_rows.size()) / rows;
    const std::vector<double> projected = learn::pcgrad(shared_rows, rows, p, c_.seed, step);
    std::vector<float> out(width);
    size_t j = 0;
    for (size_t k = 0; k < width; ++k)
      out[k] = static_cast<float>((shared_[k] ? projected[j++] : total[k]) / static_cast<double>(rows));
    params_.flat_grad().copy_(Tensor::from_f32(out, {params_.numel()}, params_.device()));
  }

  // Every rank's (task, loss) rows in slot order, for the worst-task update.
  void gather_rows() {
    std::vector<double> local;
    for (const auto& [task, loss] : rows_) {
      local.push_back(static_cast<double>(task));
      local.push_back(loss);
    }
    std::vector<double> all(2 * static_cast<size_t>(c_.meta_batch));
    comm_.allgatherv(local.data(), all.data(), comm_.allgather_counts(local.size()), dist::DataType::f64);
    gathered_tasks_.clear();
    gathered_losses_.clear();
    for (size_t i = 0; i + 1 < all.size(); i += 2) {
      gathered_tasks_.push_back(static_cast<int64_t>(all[i]));
      gathered_losses_.push_back(all[i + 1]);
    }
  }

  const TrainConfig& c_;
  const learn::MultiTaskObjective& objective_;
  const data::MultiTaskSource& source_;
  nn::Params& params_;
  dist::Communicator& comm_;
  StepReducer reducer_;
  const learn::Weighting weighting_;
  const std::vector<double> manual_;
  const data::Split eval_split_;
  learn::WorstTaskState worst_;
  const std::vector<int64_t> mine_;
  std::vector<bool> shared_;  // per element of the flat parameter buffer
  std::vector<std::pair<int64_t, double>> rows_;  // this step's (task, loss) of this rank
  std::vector<int64_t> gathered_tasks_;
  std::vector<double> gathered_losses_;
  double sampling_seconds_ = 0.0;
};

}  // namespace

}  // namespace cz::train::detail

namespace cz::train {

void plan_multitask(RunPlan& plan) {
  const TrainConfig& c = plan.config;
  data::MultiTaskSpec spec;
  spec.examples = c.examples_per_task;
  spec.sampling = data::parse_task_sampling(c.task_sampling);
  spec.temperature = c.temperature;
  spec.parts = data::parse_example_split(c.example_split);
  spec.tasks = split_list(c.tasks);
  spec.train_per_class = c.train_examples;
  auto source = std::make_shared<data::MultiTaskSource>(plan.store, spec, c.seed);
  if (plan.image.height != plan.image.width)
    throw std::invalid_argument("--store " + c.store + ": conv4 needs square images, the store has " +
                                std::to_string(plan.image.height) + "x" + std::to_string(plan.image.width));
  nn::TaskNetSpec net;
  net.filters = c.filters;
  net.channels = plan.image.channels;
  net.image = plan.image.height;
  net.num_tasks = source->num_tasks();
  net.outputs = source->max_classes();
  net.conditioning = nn::parse_conditioning(c.conditioning);
  net.descriptor = c.task_descriptor;
  const learn::Weighting weighting = learn::parse_weighting(c.weighting);
  if (weighting == learn::Weighting::pcgrad && net.conditioning == nn::Conditioning::share_nothing)
    throw std::invalid_argument("--weighting pcgrad: --conditioning share_nothing shares no parameter to project");
  std::vector<int64_t> classes;
  std::vector<std::string> names;
  for (int64_t t = 0; t < source->num_tasks(); ++t) {
    classes.push_back(source->num_classes(t));
    names.push_back(source->task_name(t));
  }
  plan.objective = std::make_unique<learn::MultiTaskObjective>(net, classes, weighting == learn::Weighting::uncertainty);
  if (weighting == learn::Weighting::manual) plan.task_weights = learn::read_task_weights(c.task_weights, names);
  plan.tasks = std::move(source);
}

}  // namespace cz::train

namespace cz::train::detail {

std::unique_ptr<Step> make_multitask_step(const RunPlan& plan, nn::Params& params,
                                          dist::Communicator& comm) {
  return std::make_unique<MultiTaskStep>(plan, params, comm);
}

}  // namespace cz::train::detail
