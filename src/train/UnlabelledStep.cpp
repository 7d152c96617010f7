// The step of objectives on unlabelled examples: rows of the train split's examples -> per-row
// losses -> gradient -> reduce -> the objective's persistent state; evaluation: per-example
// (per-row) metrics summed across ranks.
#include <algorithm>
#include <iomanip>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "cezanne/train/Step.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/train/StepReducer.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/learn/Autoencoder.hpp"
#include "cezanne/learn/Contrastive.hpp"
#include "cezanne/learn/Mae.hpp"
#include "cezanne/learn/Vae.hpp"
#include "cezanne/train/CommunicatorCollectives.hpp"
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
        ranks_(comm),
        reducer_(comm, params, c_.meta_batch, c_.overlap == "on", static_cast<size_t>(c_.bucket_kb) << 10),
        mine_(owned_tasks(c_.meta_batch, comm.rank(), comm.size())),
        state_(objective_.initial_state(params.list(), c_.seed)) {}

  StepSums gradient(int64_t step) override {
    StepSums sums;
    // A rank without rows has nothing to differentiate, and an objective that gathers from
    // other ranks requires every rank to hold a row (check_ranks).
    if (!mine_.empty()) {
      const data::TaskBatch batch = timed_fetch(sampling_seconds_, [&] { return this_step(step); });
      const Var losses = objective_.step_losses(params_.list(), state_, batch, c_.seed, ranks_);
      const Var loss = sum(losses);
      reducer_.before_last_backward();
      loss.backward();
      for (const double l : losses.data().to_vector()) sums.loss += l;
    }
    // The sum over this rank's rows; the reducer sums over ranks and divides by the rows.
    reducer_.reduce();
    return sums;
  }

  void after_step(int64_t step) override {
    if (state_.empty()) return;
    NoGradGuard no_grad;
    objective_.update_state(state_, params_.list(), this_step(step), c_.seed, ranks_);
  }

  std::vector<std::pair<std::string, Tensor>> state() const override {
    std::vector<std::pair<std::string, Tensor>> host;
    for (const auto& [name, tensor] : state_) host.emplace_back(name, tensor.to(Device::cpu()));
    return host;
  }

  void load_state(const std::vector<std::pair<std::string, Tensor>>& saved) override {
    for (auto& [name, tensor] : state_) {
      const auto found = std::find_if(saved.begin(), saved.end(), [&](const auto& s) { return s.first == name; });
      if (found == saved.end() || found->second.shape() != tensor.shape())
        throw std::invalid_argument("checkpoint: no state '" + name + "' of shape " + shape_str(tensor.shape()));
      tensor = found->second.to(tensor.dtype()).to(tensor.device());
    }
  }

  // Metric 0 (a loss: the negative ELBO of the VAE, the MAE's masked MSE, a contrastive loss) on
  // --val-episodes examples (rows) of the split.
  learn::EvalResult evaluate(const std::function<void()>& before_each) override {
    return evaluate_examples(objective_, params_.list(), *plan_.eval_examples, c_.val_episodes, c_.seed,
                             &comm_, before_each)
        .front();
  }

  std::string describe(const learn::EvalResult& r) const override {
    std::ostringstream s;
    // The VAE's bound is in nats per example; a contrastive loss is a mean over rows.
    const bool rows = objective_.evaluation_examples() > 1;
    const std::string unit = objective_.unit().empty() ? "" : " " + objective_.unit();
    s << std::fixed << std::setprecision(unit.empty() ? 4 : 2) << objective_.metrics().front() << " " << r.mean
      << unit << " ± " << r.ci95 << " (" << r.episodes << (rows ? " rows)" : " examples)");
    return s.str();
  }

  bool has_accuracy() const override { return false; }

  ReductionStats reduction() const override { return reducer_.stats(); }
  double sampling_seconds() const override { return sampling_seconds_; }

 private:
  // This rank's rows of step `step` on the parameters' device (empty rows: T = 0).
  data::TaskBatch this_step(int64_t step) const {
    return plan_.train_examples->sample(step, mine_).to(params_.device());
  }

  const TrainConfig& c_;
  const RunPlan& plan_;
  const learn::UnlabelledObjective& objective_;
  nn::Params& params_;
  dist::Communicator& comm_;
  CommunicatorCollectives ranks_;
  StepReducer reducer_;
  const std::vector<int64_t> mine_;
  learn::UnlabelledObjective::State state_;  // the objective's persistent state (moco's queue)
  double sampling_seconds_ = 0.0;
};

}  // namespace

std::unique_ptr<Step> make_unlabelled_step(const RunPlan& plan, nn::Params& params,
                                           dist::Communicator& comm) {
  return std::make_unique<UnlabelledStep>(plan, params, comm);
}

}  // namespace cz::train::detail

namespace cz::train {

namespace {

// The objectives on convolutions or patches of the whole image take square images only.
void require_square(const RunPlan& plan, const std::string& model) {
  if (plan.image.height != plan.image.width)
    throw std::invalid_argument("--store " + plan.config.store + ": " + model + " needs square images, the store has " +
                                std::to_string(plan.image.height) + "x" + std::to_string(plan.image.width));
}

// --algo mae: the masked autoencoder on the ViT.
std::unique_ptr<learn::UnlabelledObjective> make_mae(const RunPlan& plan) {
  const TrainConfig& c = plan.config;
  require_square(plan, "the masked autoencoder");
  learn::MaeSpec spec;
  spec.encoder = vit_spec(c, plan.image.channels, plan.image.height);
  spec.decoder = {c.decoder_dim, c.decoder_depth, c.heads, c.mlp_ratio};
  spec.mask_ratio = c.mask_ratio;
  spec.norm_pix = c.norm_pix;
  return std::make_unique<learn::Mae>(spec);
}

std::unique_ptr<learn::UnlabelledObjective> make_autoencoder(const RunPlan& plan) {
  const TrainConfig& c = plan.config;
  require_square(plan, "the convolutional autoencoder");
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
  if (spec.convolutional) require_square(plan, "the convolutional VAE");
  try {
    return std::make_unique<learn::Vae>(spec);
  } catch (const std::invalid_argument& e) {
    if (!spec.convolutional) throw;
    throw std::invalid_argument("--store " + c.store + ": " + e.what());
  }
}

// --algo triplet, nt_xent or moco: Conv4 on the store's square images plus a projection head.
std::unique_ptr<learn::UnlabelledObjective> make_contrastive(const RunPlan& plan) {
  const TrainConfig& c = plan.config;
  require_square(plan, "conv4");
  learn::ContrastiveSpec spec;
  spec.contrast = learn::parse_contrast(c.algo);
  spec.filters = c.filters;
  spec.channels = plan.image.channels;
  spec.image = plan.image.height;
  spec.projection = c.projection;
  spec.margin = c.margin;
  spec.mining = learn::parse_mining(c.mining);
  spec.temperature = c.contrast_temperature;
  spec.global_negatives = c.negatives == "global";
  spec.queue = c.queue;
  spec.momentum = c.momentum;
  spec.augment = data::AugmentSpec::parse(c.augment);
  try {
    return std::make_unique<learn::Contrastive>(spec, c.examples_per_task);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("--store " + c.store + ": " + e.what());
  }
}

}  // namespace

void plan_unlabelled(RunPlan& plan) {
  const TrainConfig& c = plan.config;
  plan.unlabelled = is_contrastive(c)         ? make_contrastive(plan)
                    : c.algo == "mae"           ? make_mae(plan)
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

void check_ranks(const TrainConfig& c, int ranks) {
  if (!is_contrastive(c) || c.algo == "moco") return;
  const int64_t b = c.examples_per_task;
  if (c.negatives == "global") {
    if (c.meta_batch < ranks)
      throw std::invalid_argument("--meta-batch: " + std::to_string(c.meta_batch) + " rows on " + std::to_string(ranks) +
                                  " ranks leave a rank without examples; --negatives global needs a row on every rank");
    if (c.meta_batch * b < 2)
      throw std::invalid_argument("--examples-per-task: a batch of " + std::to_string(c.meta_batch * b) +
                                  " example(s) has no negative; " + c.algo + " needs at least 2 examples per step");
    return;
  }
  // The rank with the fewest rows has the smallest batch of negatives.
  const int64_t fewest = c.meta_batch / ranks * b;
  if (fewest < 2)
    throw std::invalid_argument("--examples-per-task: --meta-batch " + std::to_string(c.meta_batch) + " rows of " +
                                std::to_string(b) + " on " + std::to_string(ranks) + " rank(s) give a rank " +
                                std::to_string(fewest) + " example(s) and no negative; " + c.algo +
                                " with --negatives local needs at least 2 examples on every rank");
}

}  // namespace cz::train
