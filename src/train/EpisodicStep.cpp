// The meta-learning step: episodes -> per-task losses -> their sum's gradient -> allreduce.
#include <sstream>
#include <stdexcept>

#include "cezanne/train/Step.hpp"
#include "cezanne/data/Prefetcher.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/learn/MetaGradient.hpp"
#include "cezanne/train/Evaluation.hpp"
#include "cezanne/train/StepReducer.hpp"

namespace cz::train::detail {
namespace {

class EpisodicStep final : public Step {
 public:
  EpisodicStep(const RunPlan& plan, nn::Params& params, dist::Communicator& comm, int64_t start)
      : c_(plan.config),
        learner_(*plan.learner),
        params_(params),
        comm_(comm),
        reducer_(comm, params, c_.meta_batch, c_.overlap == "on", static_cast<size_t>(c_.bucket_kb) << 10),
        eval_episodes_(plan.eval_episodes),
        mine_(owned_tasks(c_.meta_batch, comm.rank(), comm.size())) {
    // Episodes are pure functions of (seed, split, step, task), so a resumed run draws the same.
    if (plan.train_episodes && !mine_.empty())
      prefetcher_ = std::make_unique<data::Prefetcher>(plan.train_episodes, mine_, start);
  }

  StepSums gradient(int64_t /*step*/) override {
    learn::Metrics m;
    if (!mine_.empty()) {
      if (!prefetcher_) throw std::logic_error("EpisodicStep: the plan has no training episodes");
      const data::EpisodeBatch batch =  // step `step`'s
          timed_fetch(sampling_seconds_, [&] { return prefetcher_->next().to(params_.device()); });
      // The sum over this rank's tasks; the reducer sums over ranks and divides by the meta-batch.
      m = learn::backward_meta_loss(learner_, params_.list(), batch, tasks_per_pass(c_.tasks_per_pass, c_.model, params_.device()),
                                    [&] { reducer_.before_last_backward(); });
    }
    reducer_.reduce();
    const double local = static_cast<double>(mine_.size());
    return {m.loss * local, m.accuracy * local};
  }

  learn::EvalResult evaluate(const std::function<void()>& before_each) override {
    if (!eval_episodes_) throw std::logic_error("EpisodicStep: the plan has no evaluation episodes");
    // Episode i is task i of step 0 of the evaluation source.
    return train::evaluate(
        learner_, params_.list(),
        [&](int64_t i) {
          if (before_each) before_each();
          return eval_episodes_->sample(0, i);
        },
        c_.val_episodes, &comm_);
  }

  std::string describe(const learn::EvalResult& r) const override {
    std::ostringstream s;
    if (has_accuracy()) {
      s.precision(2);
      s << std::fixed << "accuracy " << 100 * r.mean << "% ± " << 100 * r.ci95 << "%";
    } else {
      s.precision(4);
      s << "MSE " << r.mean << " ± " << r.ci95;
    }
    s << " (" << r.episodes << " episodes)";
    return s.str();
  }

  ReductionStats reduction() const override { return reducer_.stats(); }
  double sampling_seconds() const override { return sampling_seconds_; }

  bool has_accuracy() const override { return learner_.config().loss == learn::Loss::cross_entropy; }

 private:
  const TrainConfig& c_;
  const learn::EpisodicLearner& learner_;
  nn::Params& params_;
  dist::Communicator& comm_;
  StepReducer reducer_;
  const std::shared_ptr<const data::EpisodeSource> eval_episodes_;
  const std::vector<int64_t> mine_;
  std::unique_ptr<data::Prefetcher> prefetcher_;
  double sampling_seconds_ = 0.0;
};

}  // namespace

std::unique_ptr<Step> make_episodic_step(const RunPlan& plan, nn::Params& params,
                                         dist::Communicator& comm, int64_t start) {
  return std::make_unique<EpisodicStep>(plan, params, comm, start);
}

}  // namespace cz::train::detail
