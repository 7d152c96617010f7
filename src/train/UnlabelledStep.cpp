// The step of objectives on unlabelled examples: rows of the train split's examples -> per-row
// losses -> gradient -> reduce; evaluation: per-example metrics summed across ranks.
#include <iomanip>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "cezanne/train/Step.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/train/StepReducer.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/learn/Vae.hpp"
#include "cezanne/train/Evaluation.hpp"

namespace cz::train::detail {
namespace {

class UnlabelledStep final : public Step {
 public:
  UnlabelledStep(const RunPlan& plan, nn::Params& params, dist::Communicator& comm)
      : c_(plan.config),
        plan_(plan),
        objective_(*plan.unlabelled),
        params_(params),
        comm_(comm),
        reducer_(comm, params, c_.meta_batch, c_.overlap == "on", static_cast<size_t>(c_.bucket_kb) << 10),
        mine_(owned_tasks(c_.meta_batch, comm.rank(), comm.size())) {}

  StepSums gradient(int64_t step) override {
    StepSums sums;
    if (!mine_.empty()) {
      const data::TaskBatch batch = plan_.train_examples->sample(step, mine_).to(params_.device());
      const Var losses = objective_.losses(params_.list(), batch, c_.seed);
      const Var loss = sum(losses);
      reducer_.before_last_backward();
      loss.backward();
      for (const double l : losses.data().to_vector()) sums.loss += l;
    }
    // The sum over this rank's rows; the reducer sums over ranks and divides by the rows.
    reducer_.reduce();
    return sums;
  }

  // Metric 0 (a loss: the negative ELBO of the VAE) on --val-episodes examples of the split.
  learn::EvalResult evaluate(const std::function<void()>& before_each) override {
    return evaluate_examples(objective_, params_.list(), *plan_.eval_examples, c_.val_episodes, c_.seed,
                             &comm_, before_each)
        .front();
  }

  std::string describe(const learn::EvalResult& r) const override {
    std::ostringstream s;
    s << std::fixed << std::setprecision(2) << objective_.metrics().front() << " " << r.mean << " nats ± "
      << r.ci95 << " (" << r.episodes << " examples)";
    return s.str();
  }

  bool has_accuracy() const override { return false; }

  ReductionStats reduction() const override { return reducer_.stats(); }

 private:
  const TrainConfig& c_;
  const RunPlan& plan_;
  const learn::UnlabelledObjective& objective_;
  nn::Params& params_;
  dist::Communicator& comm_;
  StepReducer reducer_;
  const std::vector<int64_t> mine_;
};

}  // namespace

std::unique_ptr<Step> make_unlabelled_step(const RunPlan& plan, nn::Params& params,
                                           dist::Communicator& comm) {
  return std::make_unique<UnlabelledStep>(plan, params, comm);
}

}  // namespace cz::train::detail

namespace cz::train {

void plan_unlabelled(RunPlan& plan) {
  const TrainConfig& c = plan.config;
  learn::VaeSpec spec;
  spec.inputs = plan.image.channels * plan.image.height * plan.image.width;
  spec.hidden = c.hidden;
  spec.latent = c.latent;
  spec.likelihood = learn::parse_likelihood(c.likelihood);
  spec.beta = c.beta;
  spec.iwae_samples = c.iwae_samples;
  spec.convolutional = c.model == "conv4";
  spec.filters = c.filters;
  spec.channels = plan.image.channels;
  spec.image = plan.image.height;
  if (spec.convolutional && plan.image.height != plan.image.width)
    throw std::invalid_argument("--store " + c.store + ": the convolutional VAE needs square images, the store has " +
                                std::to_string(plan.image.height) + "x" + std::to_string(plan.image.width));
  try {
    plan.unlabelled = std::make_unique<learn::Vae>(spec);
  } catch (const std::invalid_argument& e) {
    if (!spec.convolutional) throw;
    throw std::invalid_argument("--store " + c.store + ": " + e.what());
  }
  try {
    std::optional<data::ExampleSplit> parts;
    if (c.split_by == "example") parts = data::parse_example_split(c.example_split);
    plan.train_examples = std::make_shared<data::UnlabelledSource>(plan.store, data::Split::train,
                                                                   c.examples_per_task, c.seed, parts);
    plan.eval_examples = std::make_shared<data::UnlabelledSource>(plan.store, plan.eval_split, 1, c.seed, parts);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("--store " + c.store + ": " + e.what());
  }
}

}  // namespace cz::train
