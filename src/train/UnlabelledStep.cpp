// The step of objectives on unlabelled examples: rows of the train split's examples -> per-row
// losses -> gradient -> reduce; evaluation: per-example metrics summed across ranks.
#include <iomanip>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "cezanne/train/Step.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/dist/GradientReducer.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/learn/Autoencoder.hpp"
#include "cezanne/learn/Mae.hpp"
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
        reducer_(comm),
        mine_(owned_tasks(c_.meta_batch, comm.rank(), comm.size())) {}

  StepSums gradient(int64_t step) override {
    StepSums sums;
    if (!mine_.empty()) {
      const data::TaskBatch batch = plan_.train_examples->sample(step, mine_).to(params_.device());
      const Var losses = objective_.losses(params_.list(), batch, c_.seed);
      sum(losses).backward();
      for (const double l : losses.data().to_vector()) sums.loss += l;
    }
    // The sum over this rank's rows; the reducer sums over ranks and divides by the rows.
    reducer_.reduce(params_.flat_grad(), c_.meta_batch);
    return sums;
  }

  // Metric 0 (a loss: the negative ELBO of the VAE, the MAE's masked MSE) on --val-episodes examples of the split.
  learn::EvalResult evaluate(const std::function<void()>& before_each) override {
    return evaluate_examples(objective_, params_.list(), *plan_.eval_examples, c_.val_episodes, c_.seed,
                             &comm_, before_each)
        .front();
  }

  std::string describe(const learn::EvalResult& r) const override {
    std::ostringstream s;
    std::string unit = objective_.unit();  // "nats", or "" for a unitless metric
    if (!unit.empty()) unit.insert(0, 1, ' ');
    s << std::fixed << std::setprecision(objective_.unit().empty() ? 4 : 2) << objective_.metrics().front() << " "
      << r.mean << unit << " ± " << r.ci95 << " (" << r.episodes << " examples)";
    return s.str();
  }

  bool has_accuracy() const override { return false; }

 private:
  const TrainConfig& c_;
  const RunPlan& plan_;
  const learn::UnlabelledObjective& objective_;
  nn::Params& params_;
  dist::Communicator& comm_;
  dist::GradientReducer reducer_;
  const std::vector<int64_t> mine_;
};

}  // namespace

std::unique_ptr<Step> make_unlabelled_step(const RunPlan& plan, nn::Params& params,
                                           dist::Communicator& comm) {
  return std::make_unique<UnlabelledStep>(plan, params, comm);
}

}  // namespace cz::train::detail

namespace cz::train {

namespace {

std::unique_ptr<learn::UnlabelledObjective> make_mae(const RunPlan& plan) {
  const TrainConfig& c = plan.config;
  if (plan.image.height != plan.image.width)
    throw std::invalid_argument("--store " + c.store + ": the masked autoencoder needs square images, the store has " +
                                std::to_string(plan.image.height) + "x" + std::to_string(plan.image.width));
  learn::MaeSpec spec;
  spec.encoder = vit_spec(c, plan.image.channels, plan.image.height);
  spec.decoder = {c.decoder_dim, c.decoder_depth, c.heads, c.mlp_ratio};
  spec.mask_ratio = c.mask_ratio;
  spec.norm_pix = c.norm_pix;
  return std::make_unique<learn::Mae>(spec);
}

std::unique_ptr<learn::UnlabelledObjective> make_autoencoder(const RunPlan& plan) {
  const TrainConfig& c = plan.config;
  if (plan.image.height != plan.image.width)
    throw std::invalid_argument("--store " + c.store + ": the convolutional autoencoder needs square images, the store has " +
                                std::to_string(plan.image.height) + "x" + std::to_string(plan.image.width));
  learn::AutoencoderSpec spec;
  spec.coder = {plan.image.channels, plan.image.height, c.filters};
  spec.bottleneck = c.bottleneck;
  spec.noise = c.noise;
  try {
    return std::make_unique<learn::Autoencoder>(spec);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("--store " + c.store + ": " + e.what());
  }
}

std::unique_ptr<learn::UnlabelledObjective> make_vae(const RunPlan& plan) {
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
    return std::make_unique<learn::Vae>(spec);
  } catch (const std::invalid_argument& e) {
    if (!spec.convolutional) throw;
    throw std::invalid_argument("--store " + c.store + ": " + e.what());
  }
}

}  // namespace

void plan_unlabelled(RunPlan& plan) {
  const TrainConfig& c = plan.config;
  plan.unlabelled = c.algo == "mae"           ? make_mae(plan)
                    : c.algo == "autoencoder" ? make_autoencoder(plan)
                                              : make_vae(plan);
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
