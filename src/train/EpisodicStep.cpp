// The meta-learning step: episodes -> meta-loss -> meta-gradient -> allreduce.
#include <sstream>

#include "cezanne/train/Step.hpp"
#include "cezanne/data/EpisodeSampler.hpp"
#include "cezanne/data/Prefetcher.hpp"
#include "cezanne/dist/GradientReducer.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/learn/MetaGradient.hpp"
#include "cezanne/learn/SinusoidTasks.hpp"

namespace cz::train::detail {
namespace {

class EpisodicStep final : public Step {
 public:
  EpisodicStep(const RunPlan& plan, nn::Params& params, dist::Communicator& comm, int64_t start)
      : c_(plan.config),
        learner_(*plan.learner),
        params_(params),
        comm_(comm),
        reducer_(comm),
        regression_(is_regression(c_)),
        mine_(owned_tasks(c_.meta_batch, comm.rank(), comm.size())),
        // Episodes: pure functions of (seed, split, step, task), so a resumed run draws the same ones.
        sinusoids_({.shots = static_cast<int>(c_.shots), .queries = static_cast<int>(c_.queries)}, c_.seed),
        sinusoids_val_(sinusoids_.spec(), c_.seed, data::Split::val) {
    if (regression_) return;
    auto sampler = std::make_shared<data::EpisodeSampler>(plan.store, data::Split::train, episode_spec(c_), c_.seed);
    val_sampler_ = std::make_shared<data::EpisodeSampler>(plan.store, data::Split::val, episode_spec(c_), c_.seed);
    if (!mine_.empty()) prefetcher_ = std::make_unique<data::Prefetcher>(sampler, mine_, start);
  }

  StepSums gradient(int64_t step) override {
    learn::Metrics m;
    if (!mine_.empty()) {
      const data::EpisodeBatch batch = regression_ ? sinusoids_.sample_batch(step, mine_) : prefetcher_->next();
      // The sum over this rank's tasks; the reducer sums over ranks and divides by the meta-batch.
      m = learn::backward_meta_loss(learner_, params_.list(), batch, tasks_per_pass(c_.tasks_per_pass, c_.model));
    }
    reducer_.reduce(params_.flat_grad(), c_.meta_batch);
    const double local = static_cast<double>(mine_.size());
    return {m.loss * local, m.accuracy * local};
  }

  learn::EvalResult validate() override {
    const learn::EvalOptions options{.episodes = c_.val_episodes, .step = 0};
    return regression_ ? learn::evaluate(learner_, params_.list(), sinusoids_val_, options, &comm_)
                       : learn::evaluate(learner_, params_.list(), *val_sampler_, options, &comm_);
  }

  std::string describe(const learn::EvalResult& r) const override {
    std::ostringstream s;
    if (regression_) {
      s.precision(4);
      s << "MSE " << r.mean << " ± " << r.ci95;
    } else {
      s.precision(2);
      s << std::fixed << "accuracy " << 100 * r.mean << "% ± " << 100 * r.ci95 << "%";
    }
    s << " (" << r.episodes << " episodes)";
    return s.str();
  }

  bool has_accuracy() const override { return !regression_; }

 private:
  const TrainConfig& c_;
  const learn::EpisodicLearner& learner_;
  nn::Params& params_;
  dist::Communicator& comm_;
  dist::GradientReducer reducer_;
  const bool regression_;
  const std::vector<int64_t> mine_;
  const learn::SinusoidTasks sinusoids_, sinusoids_val_;
  std::shared_ptr<const data::EpisodeSampler> val_sampler_;
  std::unique_ptr<data::Prefetcher> prefetcher_;
};

}  // namespace

std::unique_ptr<Step> make_episodic_step(const RunPlan& plan, nn::Params& params,
                                         dist::Communicator& comm, int64_t start) {
  return std::make_unique<EpisodicStep>(plan, params, comm, start);
}

}  // namespace cz::train::detail
