// The meta-training loop and the checks that run before it.
#include "cezanne/train/Trainer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "cezanne/BuildInfo.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/data/AugmentationTasks.hpp"
#include "cezanne/data/EpisodeSampler.hpp"
#include "cezanne/data/StoreFingerprint.hpp"
#include "cezanne/dist/RankDevice.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/learn/Evaluation.hpp"
#include "cezanne/learn/SinusoidTasks.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/optim/Adam.hpp"
#include "cezanne/optim/Schedule.hpp"
#include "cezanne/train/MetricsLog.hpp"
#include "cezanne/train/Plateau.hpp"
#include "cezanne/train/Progress.hpp"
#include "cezanne/train/StopSignal.hpp"
#include "cezanne/train/Step.hpp"
#include "cezanne/train/StepCommunicator.hpp"

namespace cz::train {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Refuses an --out that cannot become a directory, before anything reads or writes in it.
void check_out_path(const fs::path& out) {
  std::error_code ec;
  fs::path existing = fs::absolute(out, ec);
  while (!fs::exists(existing, ec) && existing.has_parent_path() && existing != existing.parent_path())
    existing = existing.parent_path();
  if (!fs::is_directory(existing, ec))
    throw std::invalid_argument("--out " + out.string() + ": cannot create: " + existing.string() +
                                " is not a directory");
}

// Creates --out if needed and proves it writable with a probe file (each rank its own).
void ensure_writable(const fs::path& out) {
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_directory(out, ec))
    throw std::invalid_argument("--out " + out.string() + ": exists and is not a directory");
  fs::create_directories(out, ec);
  if (ec) throw std::invalid_argument("--out " + out.string() + ": cannot create: " + ec.message());
  const fs::path probe = out / (".probe-" + std::to_string(::getpid()));
  std::ofstream file(probe);
  if (!file)
    throw std::invalid_argument("--out " + out.string() + ": not writable: " +
                                std::strerror(errno));
  file.close();
  fs::remove(probe, ec);
}

// A run directory that already holds a run must be continued explicitly.
void refuse_existing_run(const TrainConfig& c, const CheckpointDir& dir) {
  const bool metrics = fs::exists(fs::path(c.out) / "metrics.csv");
  if (!dir.list().empty() || metrics)
    throw std::invalid_argument("--out " + c.out + ": already holds a run (" +
                                (metrics ? std::string("metrics.csv") : dir.list().front().filename().string()) +
                                "); pass --resume auto to continue it, or choose another --out");
}

// The store must have the training store's image shape; inverted ink or other examples (a
// store rebuilt at the same path) are worth a warning.
void check_resumed_store(RunPlan& plan, const std::string& where, const Checkpoint& ckpt) {
  if (!ckpt.store || !plan.store) return;
  const data::StoreFingerprint here = data::fingerprint(*plan.store, plan.config.store);
  if (const std::string m = data::shape_mismatch(*ckpt.store, here); !m.empty())
    throw std::invalid_argument(where + "--store " + here.path + ": " + m);
  if (const std::string w = data::polarity_warning(*ckpt.store, here); !w.empty())
    plan.warnings.push_back(w);
  const std::string &trained = ckpt.store->examples_sha256, &now = here.examples_sha256;
  if (!trained.empty() && !now.empty() && trained != now) {
    plan.warnings.push_back("--store " + here.path + ": its examples (sha256 " + now.substr(0, 12) +
                            "...) are not those the checkpoint trained on (" +
                            trained.substr(0, 12) + "...)");
  }
}

void check_resumable(RunPlan& plan, const fs::path& path, const Checkpoint& ckpt) {
  const std::string where = "--resume " + path.string() + ": ";
  check_resumed_store(plan, where, ckpt);
  try {
    learn::check_loadable(ckpt.algorithm, checkpoint_specs(ckpt), plan.algorithm(), plan.specs());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(where + e.what());
  }
  const std::string diff = identity_difference(from_pairs(ckpt.config), plan.config);
  if (!diff.empty())
    throw std::invalid_argument(where + "written by another run: " + diff);
  if (ckpt.step > plan.config.steps)
    throw std::invalid_argument(where + "is at step " + std::to_string(ckpt.step) +
                                ", beyond --steps " + std::to_string(plan.config.steps));
}

// The trainer's own persistent state under a recipe with a schedule or --early-stop: where the
// head-first phase ended, the best validation so far, and whether the run stopped early. In the
// checkpoint's /state group as "trainer.*" (absent for other runs, whose checkpoints stay as
// they were).
struct FineTuning {
  int64_t head_phase_end = -1;
  Plateau plateau;
  bool early_stopped = false;

  static bool kept(const TrainConfig& c) { return c.head_first || c.unfreeze_every > 0 || c.early_stop; }

  std::vector<std::pair<std::string, Tensor>> state() const {
    auto one = [](double v) { return Tensor::from(std::vector<double>{v}, {1}, DType::f64); };
    return {{"trainer.head_phase_end", one(static_cast<double>(head_phase_end))},
            {"trainer.best", one(plateau.best)},
            {"trainer.best_step", one(static_cast<double>(plateau.best_step))},
            {"trainer.since_best", one(static_cast<double>(plateau.since))},
            {"trainer.early_stopped", one(early_stopped ? 1.0 : 0.0)}};
  }

  // A checkpoint without the entries (--early-stop added when resuming) starts them afresh.
  void load(const std::vector<std::pair<std::string, Tensor>>& state) {
    auto value = [&](const std::string& name, double otherwise) {
      for (const auto& [key, tensor] : state)
        if (key == name && tensor.numel() == 1) return tensor.to_vector()[0];
      return otherwise;
    };
    head_phase_end = static_cast<int64_t>(value("trainer.head_phase_end", -1));
    plateau.best = value("trainer.best", NAN);
    plateau.best_step = static_cast<int64_t>(value("trainer.best_step", 0));
    plateau.since = static_cast<int64_t>(value("trainer.since_best", 0));
    early_stopped = value("trainer.early_stopped", 0) != 0.0;
  }
};

Checkpoint make_checkpoint(const RunPlan& plan, const nn::Params& params,
                           const optim::Optimizer& optimizer, const Step& learning,
                           const FineTuning& tuning, int64_t step, int ranks) {
  Checkpoint c;
  c.step = step;
  c.seed = plan.config.seed;
  c.ranks = ranks;
  c.algorithm = plan.algorithm();
  c.model = plan.objective    ? plan.objective->description()
            : plan.unlabelled ? plan.unlabelled->description()
                              : model_description(plan.config, plan.image);
  c.version = build_info::kGitDescribe;
  c.config = to_pairs(plan.config);
  for (size_t i = 0; i < params.size(); ++i) c.params.emplace_back(params.name(i), params[i].data());
  c.optimizer = optimizer.name();
  c.optimizer_steps = optimizer.step_count();
  for (const auto& [name, tensor] : optimizer.state()) c.optimizer_state.emplace_back(name, tensor);
  if (plan.store) c.store = data::fingerprint(*plan.store, plan.config.store);
  c.state = learning.state();
  if (FineTuning::kept(plan.config))
    for (auto& entry : tuning.state()) c.state.push_back(std::move(entry));
  return c;
}

void restore(const Checkpoint& c, const TrainConfig& config, nn::Params& params,
             optim::Optimizer& optimizer, Step& learning, FineTuning& tuning) {
  load_parameters(c, params);
  optimizer.load_state(optim::Optimizer::State(c.optimizer_state.begin(), c.optimizer_state.end()));
  optimizer.set_step_count(c.optimizer_steps);
  learning.load_state(c.state);
  if (FineTuning::kept(config)) tuning.load(c.state);
}

std::unique_ptr<optim::Schedule> make_schedule(const TrainConfig& c) {
  if (c.schedule == "cosine") return std::make_unique<optim::CosineSchedule>(c.lr, c.steps, 0.0, c.warmup);
  return std::make_unique<optim::ConstantSchedule>(c.lr);
}

const char* signal_name(int signal) {
  return signal == SIGUSR2 ? "SIGUSR2" : signal == SIGTERM ? "SIGTERM" : "a signal";
}

// Keeps the communicator's watchdog at watchdog_limit(): relaxed until the first step is done
// and around validation and checkpoints, then a multiple of the longest step. A single process
// waits for no other rank, so it sets no limit (its collectives return at once).
class RunWatchdog {
 public:
  RunWatchdog(dist::Communicator& comm, double floor) : comm_(comm), floor_(floor) { relax(); }
  void relax() { set(watchdog_limit(floor_, longest_, true)); }
  void step_done(double seconds) {
    longest_ = std::max(longest_, seconds);
    set(watchdog_limit(floor_, longest_, false));
  }

 private:
  void set(double limit) {
    if (comm_.size() > 1 && limit != current_) comm_.set_watchdog_seconds(limit);
    current_ = limit;
  }
  dist::Communicator& comm_;
  double floor_, longest_ = 0.0, current_ = -1.0;
};

}  // namespace

double watchdog_limit(double floor, double longest_step, bool relaxed) {
  if (!(floor > 0.0)) return 0.0;
  const double limit = std::max(floor, kWatchdogStepFactor * longest_step);
  return relaxed ? std::max(limit, kWatchdogRelaxedFactor * floor) : limit;
}

std::optional<data::StoreFingerprint> training_store(const Checkpoint& checkpoint) {
  if (checkpoint.store) return checkpoint.store;
  const std::string path = from_pairs(checkpoint.config).store;
  if (path.empty()) return std::nullopt;
  try {
    return data::fingerprint(*data::Store::open(path), path);
  } catch (const std::exception&) {
    return std::nullopt;  // gone or unreadable: nothing to compare with
  }
}

std::vector<nn::ParamSpec> checkpoint_specs(const Checkpoint& checkpoint) {
  std::vector<nn::ParamSpec> specs;
  for (const auto& [name, tensor] : checkpoint.params) specs.push_back({name, tensor.shape(), {}});
  return specs;
}

void load_parameters(const Checkpoint& checkpoint, nn::Params& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor data = params[i].data();
    data.copy_(checkpoint.params[i].second.to(data.device()));
  }
}

std::vector<nn::ParamSpec> RunPlan::specs() const {
  return objective ? objective->specs() : unlabelled ? unlabelled->specs() : learner->specs();
}

std::string RunPlan::algorithm() const {
  return objective ? "multitask" : unlabelled ? unlabelled->name() : learner->name();
}

std::unique_ptr<Step> make_step(const RunPlan& plan, nn::Params& params, dist::Communicator& comm,
                                int64_t start) {
  if (plan.objective) return detail::make_multitask_step(plan, params, comm);
  if (plan.unlabelled) return detail::make_unlabelled_step(plan, params, comm);
  return detail::make_episodic_step(plan, params, comm, start);
}

std::shared_ptr<const data::EpisodeSource> episode_source(const TrainConfig& config,
                                                          std::shared_ptr<data::Store> store,
                                                          data::Split split) {
  if (is_regression(config))
    return std::make_shared<learn::SinusoidTasks>(
        learn::SinusoidSpec{.shots = static_cast<int>(config.shots), .queries = static_cast<int>(config.queries)},
        config.seed, split);
  return std::make_shared<data::EpisodeSampler>(std::move(store), split, episode_spec(config), config.seed);
}

RunPlan plan_run(const TrainConfig& config) {
  validate(config);
  if (config.out.empty()) throw std::invalid_argument("--out: required (the run directory)");
  RunPlan plan;
  plan.config = config;
  plan.image = {1, 1, 1};
  if (is_multitask(config) || is_unlabelled(config)) {
    plan.store = data::Store::open(config.store);
    plan.image = plan.store->shape();
    if (is_multitask(config)) {
      plan_multitask(plan);
    } else {
      plan_unlabelled(plan);
    }
  } else {
    if (!is_regression(config)) {
      plan.store = data::Store::open(config.store);
      plan.image = plan.store->shape();
    }
    // Every split the run draws from must admit the episodes (the sampler names the problem).
    plan.train_episodes =
        is_augmentation_tasks(config)
            ? std::make_shared<data::AugmentationTasks>(plan.store, data::Split::train, episode_spec(config),
                                                        data::AugmentSpec::parse(config.augment), config.seed)
            : episode_source(config, plan.store, data::Split::train);
    plan.eval_episodes = episode_source(config, plan.store, data::Split::val);
    if (config.pseudo_tasks == "cactus")
      plan.cactus = std::make_shared<const CactusEncoder>(load_cactus_encoder(config, plan.store));
  }
  if (!is_multitask(config) && !is_unlabelled(config)) try {
      plan.learner = learn::make_learner(learner_config(config, plan.image));
    } catch (const std::invalid_argument& e) {
      if (is_regression(config)) throw;
      throw std::invalid_argument("--store " + config.store + ": " + e.what());
    }

  std::vector<std::string> names;
  for (const nn::ParamSpec& spec : plan.specs()) names.push_back(spec.name);
  plan.recipe = std::make_shared<Recipe>(names, config);

  check_out_path(config.out);
  const CheckpointDir dir(config.out, static_cast<int>(config.keep));
  if (config.resume.empty()) {
    refuse_existing_run(config, dir);
  } else if (config.resume == "auto") {
    plan.resume = dir.load_newest(&plan.warnings);
  } else {
    plan.resume.emplace(config.resume, read_checkpoint(config.resume));
  }
  if (plan.resume) check_resumable(plan, plan.resume->first, plan.resume->second);
  if (!plan.resume && !config.init_from.empty()) {
    Checkpoint source;
    try {
      source = read_checkpoint(config.init_from);
    } catch (const CheckpointError& e) {
      throw std::invalid_argument(std::string("--init-from: ") + e.what());
    }
    plan.init = init_values(source, config.init_from, plan.specs(), config.init_params, config.init_rename);
  }
  ensure_writable(config.out);
  return plan;
}

int train(RunPlan& plan, dist::Communicator& world) {
  const TrainConfig& c = plan.config;
  const bool lead = world.rank() == 0;
  const int64_t start = plan.resume ? plan.resume->second.step : 0;

  const Device device = dist::rank_device(c.device);
  // Every collective of the run goes through `comm`: NCCL moves the gradient and the step's
  // device tensors where they live and hands host values (metrics, flags) to the world.
  const std::shared_ptr<dist::Communicator> collectives = step_communicator(c.collectives, world, device);
  dist::Communicator& comm = *collectives;
  nn::Params params(plan.specs(), DType::f32, device);
  params.initialize(c.seed);
  for (const InitValue& v : plan.init) {
    Tensor data = params[v.param].data();
    data.copy_(v.value.to(data.device()));
  }
  // CACTUs: the labelled training episodes give way to episodes of clusters (validation keeps
  // the real val episodes).
  if (plan.cactus) plan.train_episodes = cactus_episodes(c, *plan.cactus, plan.store, comm);
  const Recipe& recipe = *plan.recipe;
  optim::Adam adam(params, c.lr, 0.9, 0.999, 1e-8, 0.0, false, recipe.groups());
  const std::unique_ptr<Step> learning = make_step(plan, params, comm, start);
  FineTuning tuning;
  tuning.plateau.higher_is_better = learning->has_accuracy();
  if (plan.resume) restore(plan.resume->second, c, params, adam, *learning, tuning);
  // Frozen parameters are constants of the graph: no gradient is computed for them at all, and
  // Adam leaves them (and their moments) as they are. A recipe's schedule changes the set.
  std::vector<bool> frozen;
  int64_t frozen_numel = 0;
  auto freeze = [&](int64_t step) {
    const std::vector<bool> now = recipe.frozen_at(step, tuning.head_phase_end);
    if (now == frozen) return false;
    frozen = now;
    frozen_numel = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      adam.group(i).frozen = frozen[i];
      Var(params[i]).set_requires_grad(!frozen[i]);
      if (frozen[i]) frozen_numel += params.numel(i);
    }
    return true;
  };
  freeze(start);
  const std::unique_ptr<optim::Schedule> schedule = make_schedule(c);
  const CheckpointDir checkpoints(c.out, static_cast<int>(c.keep));

  std::unique_ptr<MetricsLog> metrics;
  std::unique_ptr<Progress> progress;
  if (lead) {
    metrics = std::make_unique<MetricsLog>(c.out, start);
    progress = std::make_unique<Progress>(c.steps, start + 1, stderr, std::nullopt, c.log_seconds);
    for (const std::string& w : plan.warnings) progress->message("warning: " + w);
    progress->message(plan.resume ? "resumed from " + plan.resume->first.string() + " at step " + std::to_string(start)
                                  : "training " + plan.algorithm() + " on " + std::to_string(comm.size()) + " rank(s), " + std::to_string(params.numel()) + " parameters" +
                                        (frozen_numel > 0 ? " (" + std::to_string(frozen_numel) + " frozen)" : ""));
    if (plan.resume && plan.resume->second.ranks != comm.size())
      progress->message("warning: the checkpoint was written by " + std::to_string(plan.resume->second.ranks) +
                        " rank(s), this run has " + std::to_string(comm.size()) + ": results agree within round-off, not bitwise");
  }
  // The command installed the handlers before its set-up; again here in case MPI_Init replaced
  // them. A signal that came during set-up stops every rank before the first step: nothing new
  // to save, so no checkpoint, and status 75 like any other stop.
  install_stop_handlers();
  RunWatchdog watchdog(comm, c.watchdog);
  if (comm.allreduce_value<int32_t>(stop_signal() != 0 ? 1 : 0, dist::ReduceOp::max) != 0) {
    if (lead) {
      progress->finish();
      progress->message("stopped at step " + std::to_string(start) + " (" + signal_name(stop_signal()) +
                        " during set-up); continue with --resume auto");
    }
    return kStoppedStatus;
  }
  if (tuning.early_stopped) {
    if (lead) {
      progress->finish();
      progress->message("stopped early at step " + std::to_string(start) + " before: nothing to do (best step " +
                        std::to_string(tuning.plateau.best_step) + ", " + (c.out / fs::path("best.h5")).string() + ")");
    }
    return 0;
  }
  const double seconds_before = metrics ? metrics->resumed_seconds() : 0.0;
  const auto run_start = Clock::now();

  for (int64_t step = start; step < c.steps; ++step) {
    const auto step_start = Clock::now();
    if (recipe.scheduled() && freeze(step) && lead)
      progress->message("step " + std::to_string(step) + ": " + std::to_string(params.numel() - frozen_numel) + " of " +
                        std::to_string(params.numel()) + " parameters train from here");
    adam.set_lr(schedule->lr_at(step));
    adam.zero_grad();
    const StepSums sums = learning->gradient(step);
    if (!all_finite(params.flat_grad()))
      throw std::runtime_error("non-finite meta-gradient at step " + std::to_string(step + 1) +
                               "; lower --lr or --inner-lr");
    adam.step();
    learning->after_step(step);

    double stats[3] = {sums.loss, sums.accuracy, stop_signal() != 0 ? 1.0 : 0.0};
    comm.allreduce(stats, 3, dist::DataType::f64, dist::ReduceOp::sum);
    const int64_t done = step + 1;
    const double step_seconds = seconds_since(step_start);
    const bool signalled = stats[2] > 0;
    bool stop = signalled || (c.stop_after > 0 && done - start >= c.stop_after);

    StepRecord record;
    record.step = done;
    record.loss = stats[0] / static_cast<double>(c.meta_batch);
    if (learning->has_accuracy()) record.train_accuracy = stats[1] / static_cast<double>(c.meta_batch);
    record.tasks_per_s = static_cast<double>(c.meta_batch) / step_seconds;
    if ((c.val_every > 0 && done % c.val_every == 0) || done == c.steps) {
      watchdog.relax();  // ranks may finish their validation episodes far apart
      const learn::EvalResult v = learning->evaluate();
      record.val_accuracy = v.mean;
      record.val_ci95 = v.ci95;
      if (lead) progress->message("step " + std::to_string(done) + ": validation " + learning->describe(v));
      if (tuning.plateau.update(v.mean, done) && c.early_stop && lead)
        write_checkpoint(fs::path(c.out) / "best.h5",
                         make_checkpoint(plan, params, adam, *learning, tuning, done, comm.size()));
      if (tuning.plateau.since >= c.patience) {
        if (c.head_first && tuning.head_phase_end < 0) {
          tuning.head_phase_end = done;  // every parameter the rules allow trains from here
          tuning.plateau.reset();
          if (lead) progress->message("step " + std::to_string(done) + ": validation stopped improving with the top layer alone; now every layer (head first, then everything)");
        } else if (c.early_stop && done < c.steps) {
          tuning.early_stopped = stop = true;
        }
      }
    }
    record.seconds = seconds_before + seconds_since(run_start);
    if (lead) {
      metrics->append(record);
      progress->update(done, record.loss, record.train_accuracy, record.tasks_per_s);
    }

    if (done % c.checkpoint_every == 0 || done == c.steps || stop) {
      watchdog.relax();  // the others wait in the barrier while rank 0 writes
      if (lead) {
        const fs::path path = checkpoints.save(make_checkpoint(plan, params, adam, *learning, tuning, done, comm.size()));
        if (stop || done == c.steps) progress->message("checkpoint " + path.string());
      }
      comm.barrier();  // no rank exits before the checkpoint is on disk
    }
    watchdog.step_done(step_seconds);
    if (tuning.early_stopped) {
      if (lead) {
        progress->finish();
        progress->message("early stop at step " + std::to_string(done) + ": no better validation for " +
                          std::to_string(c.patience) + " validations; best step " + std::to_string(tuning.plateau.best_step) +
                          " (" + (fs::path(c.out) / "best.h5").string() + ")");
      }
      return 0;
    }
    if (stop && done < c.steps) {
      if (lead) {
        progress->finish();
        progress->message(std::string("stopped at step ") + std::to_string(done) + " (" +
                          (signalled ? signal_name(stop_signal()) : "--stop-after") +
                          "); continue with --resume auto");
      }
      return kStoppedStatus;
    }
  }
  if (lead) {
    progress->finish();
    progress->message("done: " + std::to_string(c.steps) + " steps; run directory " + c.out);
  }
  return 0;
}

}  // namespace cz::train
