// `cezanne eval`: the evaluation protocol on a checkpoint: N held-out episodes, mean and 95% CI.
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <cmath>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "Command.hpp"
#include "cezanne/backend/Backend.hpp"
#include "cezanne/backend/Tf32.hpp"
#include "cezanne/data/EpisodeSampler.hpp"
#include "cezanne/data/EpisodeSource.hpp"
#include "cezanne/data/PooledEpisodes.hpp"
#include "cezanne/data/StoreFingerprint.hpp"
#include "cezanne/dist/Bootstrap.hpp"
#include "cezanne/dist/Failure.hpp"
#include "cezanne/dist/Log.hpp"
#include "cezanne/dist/RankDevice.hpp"
#include "cezanne/learn/Evaluation.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/train/EmbeddingEvaluation.hpp"
#include "cezanne/train/Evaluation.hpp"
#include "cezanne/train/Plot.hpp"
#include "cezanne/train/Step.hpp"
#include "cezanne/train/Trainer.hpp"

namespace po = boost::program_options;

namespace cz::cli {
namespace {

// What eval runs: the plan of the checkpoint's run on this evaluation's split, with its episode
// options, --episodes as config.val_episodes and --seed as config.seed; evaluated through the
// run's own train::Step.
struct EvalSetup {
  train::RunPlan plan;
  std::string checkpoint_path;  // empty: the nearest-pixels baseline
  train::Checkpoint checkpoint;
  std::vector<std::string> warnings;  // printed by rank 0
  std::string reliability_png;        // --reliability: rank 0 draws the diagram there
  // An unlabelled checkpoint: its own metrics ("objective") or a frozen-embedding protocol
  // ("few-shot", "knn", "probe"; docs/pretraining.md), with k-NN's --neighbours.
  std::string protocol = "objective";
  int64_t neighbours = 1;
};

// The evaluation store against the checkpoint's training store, before any episode runs:
// another image shape is refused, inverted ink is a warning.
void check_store(EvalSetup& s, const data::Store& store) {
  const std::optional<data::StoreFingerprint> trained = train::training_store(s.checkpoint);
  if (!trained) return;
  const data::StoreFingerprint here = data::fingerprint(store, s.plan.config.store);
  if (const std::string m = data::shape_mismatch(*trained, here); !m.empty())
    throw UsageError("--store " + here.path + ": " + m + "; checkpoint " + s.checkpoint_path);
  if (const std::string w = data::polarity_warning(*trained, here); !w.empty())
    s.warnings.push_back(w);
}

// The checkpoint's learner, rebuilt for this evaluation's ways, with its parameters checked (a
// store of another image size or another model fails here).
void load_learner(EvalSetup& s, int64_t head_ways) {
  try {
    train::TrainConfig model_config = s.plan.config;
    model_config.ways = head_ways;
    learn::LearnerConfig lc = train::learner_config(model_config, s.plan.image);
    lc.ways = train::is_regression(s.plan.config) ? 1 : s.plan.config.ways;
    s.plan.learner = learn::make_learner(lc);
    s.plan.learner->check_checkpoint(s.checkpoint.algorithm, train::checkpoint_specs(s.checkpoint));
  } catch (const std::invalid_argument& e) {
    throw UsageError("--checkpoint " + s.checkpoint_path + ": " + e.what());
  }
}

// --split as a data::Split.
data::Split split_option(const po::variables_map& vm) {
  try {
    return data::parse_split(vm["split"].as<std::string>());
  } catch (const std::exception&) {
    throw UsageError("--split: train, val or test, got '" + vm["split"].as<std::string>() + "'");
  }
}

// A checkpoint that is evaluated on examples, not episodes (multitask: every task's examples of
// --split; vae: --episodes examples of --split): no episode option, the run's store or --store
// checked against the training one, then `plan_kind` builds the plan's source and objective,
// into which the checkpoint must load. `rows` says what the checkpoint has instead of episodes.
EvalSetup example_setup(EvalSetup s, const po::variables_map& vm, const char* rows,
                        void (*plan_kind)(train::RunPlan&), bool episodes = false) {
  for (const char* episodic : {"ways", "shots", "test-inner-steps", "reliability"})
    if (vm.count(episodic) != 0 && !(episodes && (std::string(episodic) == "ways" || std::string(episodic) == "shots")))
      throw UsageError(std::string("--") + episodic + ": not for a " + s.plan.config.algo + " checkpoint (it has " +
                       rows + ", not episodes)");
  train::RunPlan& plan = s.plan;
  if (vm.count("store") != 0) plan.config.store = vm["store"].as<std::string>();
  plan.eval_split = split_option(vm);
  plan.store = data::Store::open(plan.config.store);
  plan.image = plan.store->shape();
  check_store(s, *plan.store);
  try {
    plan_kind(plan);
    learn::check_loadable(s.checkpoint.algorithm, train::checkpoint_specs(s.checkpoint),
                          plan.algorithm(), plan.specs());
  } catch (const std::invalid_argument& e) {
    throw UsageError("--checkpoint " + s.checkpoint_path + ": " + e.what());
  }
  return s;
}

EvalSetup multitask_setup(EvalSetup s, const po::variables_map& vm) {
  // The weights file shaped training only; the parameters are the same without it.
  if (s.plan.config.weighting == "manual") s.plan.config.weighting = "uniform";
  s.plan.config.task_weights.clear();
  return example_setup(std::move(s), vm, "tasks", train::plan_multitask);
}

// The few-shot episodes of the frozen-embedding protocol on --split: N-way K-shot episodes of its
// classes (a store split by class), or of the classes' parts of --split (split by example: the
// classes are the store's, their examples only those of the part).
void embedding_episodes(EvalSetup& s) {
  train::RunPlan& plan = s.plan;
  const data::EpisodeSpec spec = train::episode_spec(plan.config);
  try {
    if (plan.config.split_by == "class") {
      plan.eval_episodes = std::make_shared<data::EpisodeSampler>(plan.store, plan.eval_split, spec, plan.config.seed);
      return;
    }
    if (spec.within_domain)
      throw UsageError("--within-domain: not for a store split by example (every domain's classes are in every part)");
    std::map<int64_t, std::vector<data::ExampleRef>> classes;
    for (int64_t i = 0; i < plan.eval_examples->num_examples(); ++i) {
      const data::ExampleRef r = plan.eval_examples->reference(i);
      classes[r.class_index].push_back(r);
    }
    data::Partitions pools(1);
    for (auto& [c, examples] : classes) pools[0].push_back(std::move(examples));
    plan.eval_episodes = std::make_shared<data::PooledEpisodes>(
        plan.store, std::move(pools), spec, plan.config.seed,
        "--store " + plan.config.store + ": the " + data::split_name(plan.eval_split) + " part of its classes");
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

// --protocol objective: --episodes examples of --split, evenly spaced, with --iwae-samples
// samples of the k-sample bound, their noise from --seed. Otherwise a frozen-embedding protocol.
EvalSetup unlabelled_setup(EvalSetup s, const po::variables_map& vm) {
  train::TrainConfig& config = s.plan.config;
  config.val_episodes = vm["episodes"].as<int64_t>();
  config.iwae_samples = vm["iwae-samples"].as<int64_t>();
  config.seed = vm["seed"].as<uint64_t>();
  s.protocol = vm["protocol"].as<std::string>();
  s.neighbours = vm["neighbours"].as<int64_t>();
  if (s.protocol != "objective" && s.protocol != "few-shot" && s.protocol != "knn" && s.protocol != "probe")
    throw UsageError("--protocol: objective, few-shot, knn or probe, got '" + s.protocol + "'");
  const bool few_shot = s.protocol == "few-shot";
  if (few_shot) {
    if (vm.count("ways") != 0) config.ways = vm["ways"].as<int64_t>();
    if (vm.count("shots") != 0) config.shots = vm["shots"].as<int64_t>();
    config.queries = vm["queries"].as<int64_t>();
    config.within_domain = vm["within-domain"].as<bool>();
  }
  s = example_setup(std::move(s), vm, "examples", train::plan_unlabelled, few_shot);
  if (few_shot) embedding_episodes(s);
  // k-NN's neighbours: the train part (split by example), else the other examples of --split.
  const int64_t neighbours = config.split_by == "example" ? s.plan.train_examples->num_examples()
                                                          : s.plan.eval_examples->num_examples() - 1;
  if (s.protocol == "knn" && s.neighbours > neighbours)
    throw UsageError("--neighbours: " + std::to_string(s.neighbours) + ", more than the " + std::to_string(neighbours) +
                     " labelled examples each query has (" + (config.split_by == "example" ? "the train part" : "leave-one-out") +
                     ")");
  return s;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// One JSON line: the mean over tasks, its 95% interval, the worst task, and every task.
std::string multitask_line(const EvalSetup& s, const learn::EvalResult& r, int ranks) {
  const train::RunPlan& plan = s.plan;
  const std::vector<double>& accuracy = r.values;
  size_t worst = 0;
  for (size_t t = 1; t < accuracy.size(); ++t)
    if (accuracy[t] < accuracy[worst]) worst = t;
  std::ostringstream line;
  line.precision(6);
  line << "{\"eval\":" << json_string(s.checkpoint_path) << ",\"algo\":\"multitask\",\"step\":"
       << s.checkpoint.step << ",\"split\":\"" << data::split_name(plan.eval_split) << "\",\"conditioning\":"
       << json_string(plan.config.conditioning) << ",\"weighting\":" << json_string(train::from_pairs(s.checkpoint.config).weighting)
       << ",\"metric\":\"accuracy\",\"mean\":" << r.mean << ",\"ci95\":" << r.ci95
       << ",\"tasks\":" << accuracy.size() << ",\"worst\":{\"task\":"
       << json_string(plan.tasks->task_name(static_cast<int64_t>(worst)))
       << ",\"accuracy\":" << accuracy[worst] << "},\"ranks\":" << ranks << ",\"per_task\":[";
  for (size_t t = 0; t < accuracy.size(); ++t) {
    // A task's own interval: the normal approximation of a binomial proportion.
    const int64_t examples = plan.tasks->num_examples(static_cast<int64_t>(t), plan.eval_split);
    const double p = accuracy[t], n = static_cast<double>(examples);
    line << (t ? "," : "") << "{\"task\":" << json_string(plan.tasks->task_name(static_cast<int64_t>(t)))
         << ",\"accuracy\":" << p << ",\"ci95\":" << 1.96 * std::sqrt(p * (1 - p) / n)
         << ",\"examples\":" << examples << "}";
  }
  line << "]}";
  return line.str();
}

// How a vae checkpoint's examples are split: "class", or "example 14/2/4" with its parts.
std::string split_by(const train::TrainConfig& c) {
  return c.split_by == "example" ? "example " + c.example_split : c.split_by;
}

// --list-examples: one JSON line of the store example ids (over all classes, in store order) of
// every example of --split, in the order eval takes them (it evaluates entry floor(i n / N) of
// n for i < N), so another implementation can train and evaluate on the same examples.
std::string example_list_line(const EvalSetup& s) {
  const data::UnlabelledSource& examples = *s.plan.eval_examples;
  std::ostringstream line;
  line << "{\"store\":" << json_string(s.plan.config.store) << ",\"split\":\"" << data::split_name(s.plan.eval_split)
       << "\",\"split_by\":" << json_string(split_by(s.plan.config)) << ",\"example_ids\":[";
  for (int64_t i = 0; i < examples.num_examples(); ++i) line << (i == 0 ? "" : ",") << examples.example_id(i);
  line << "]}";
  return line.str();
}

// One JSON line: the VAE's ELBO and k-sample bound in nats per example (log-likelihood bounds:
// higher is better), another objective's metrics by name, each mean with its 95% interval over
// the examples.
std::string unlabelled_line(const EvalSetup& s, const std::vector<learn::EvalResult>& r, int ranks) {
  const train::RunPlan& plan = s.plan;
  std::ostringstream line;
  line.precision(6);
  line << "{\"eval\":" << json_string(s.checkpoint_path) << ",\"algo\":" << json_string(s.checkpoint.algorithm)
       << ",\"step\":" << s.checkpoint.step << ",\"split\":\"" << data::split_name(plan.eval_split)
       << "\",\"split_by\":" << json_string(split_by(plan.config)) << ",\"model\":"
       << json_string(plan.unlabelled->description());
  // Objectives evaluated on rows of examples (the contrastive ones) count rows, the others examples.
  const int64_t per_row = plan.unlabelled->evaluation_examples();
  if (per_row > 1)
    line << ",\"rows\":" << r[0].episodes << ",\"examples_per_row\":" << per_row;
  else
    line << ",\"examples\":" << r[0].episodes;
  if (plan.config.algo == "vae") {
    line << ",\"iwae_samples\":" << plan.config.iwae_samples << ",\"unit\":\"nats per example\",\"elbo\":{\"mean\":"
         << -r[0].mean << ",\"ci95\":" << r[0].ci95 << "},\"iwae\":{\"mean\":" << -r[1].mean << ",\"ci95\":" << r[1].ci95
         << "}";
  } else {  // each metric as the objective names it (the MAE's masked_mse, a contrastive loss)
    const std::vector<std::string> names = plan.unlabelled->metrics();
    for (size_t i = 0; i < names.size(); ++i)
      line << "," << json_string(names[i]) << ":{\"mean\":" << r[i].mean << ",\"ci95\":" << r[i].ci95 << "}";
  }
  line << ",\"ranks\":" << ranks << "}";
  return line.str();
}

// One JSON line of a frozen-embedding protocol (docs/pretraining.md): accuracy with its 95%
// interval, over episodes (few-shot) or query examples (knn, probe).
std::string embedding_line(const EvalSetup& s, const nn::ParamList& theta, dist::Communicator& comm,
                           const std::function<void()>& tick) {
  const train::RunPlan& plan = s.plan;
  const train::TrainConfig& config = plan.config;
  std::ostringstream line;
  line.precision(6);
  line << "{\"eval\":" << json_string(s.checkpoint_path) << ",\"algo\":" << json_string(s.checkpoint.algorithm)
       << ",\"step\":" << s.checkpoint.step << ",\"split\":\"" << data::split_name(plan.eval_split)
       << "\",\"split_by\":" << json_string(split_by(config)) << ",\"protocol\":\"" << s.protocol << "\"";
  if (s.protocol == "few-shot") {
    const learn::EvalResult r =
        train::evaluate_nearest_centroid(*plan.unlabelled, theta, *plan.eval_episodes, config.val_episodes, &comm, tick);
    line << ",\"ways\":" << config.ways << ",\"shots\":" << config.shots << ",\"queries\":" << config.queries
         << ",\"within_domain\":" << (config.within_domain ? "true" : "false") << ",\"metric\":\"accuracy\",\"mean\":"
         << r.mean << ",\"ci95\":" << r.ci95 << ",\"episodes\":" << r.episodes;
  } else {
    const train::EmbeddedExamples queries = train::embed_examples(*plan.unlabelled, theta, *plan.eval_examples, &comm, tick);
    // Split by example the train part is the labelled memory; split by class there is none.
    std::optional<train::EmbeddedExamples> memory;
    if (config.split_by == "example")
      memory = train::embed_examples(*plan.unlabelled, theta, *plan.train_examples, &comm, tick);
    const train::EmbeddedExamples* m = memory ? &*memory : nullptr;
    train::Accuracy a;
    if (s.protocol == "knn") {
      a = train::knn_protocol(queries, m, s.neighbours);
      line << ",\"neighbours\":" << s.neighbours << ",\"memory\":\"" << (m ? "train" : "leave-one-out") << "\"";
    } else {
      const learn::ProbeRecipe recipe;
      a = train::probe_protocol(queries, m, *plan.store, data::ExampleSplit{}, recipe);
      line << ",\"probe\":{\"steps\":" << recipe.steps << ",\"lr\":" << recipe.lr << ",\"weight_decay\":"
           << recipe.weight_decay << "}";
    }
    line << ",\"metric\":\"accuracy\",\"mean\":" << a.accuracy << ",\"ci95\":" << a.ci95
         << ",\"queries\":" << a.queries << ",\"labelled\":" << a.memory;
  }
  line << ",\"embedding\":" << json_string(plan.unlabelled->description()) << ",\"ranks\":" << comm.size() << "}";
  return line.str();
}

// Everything is loaded and checked here, before MPI starts: bad input fails on every rank alike.
EvalSetup setup_from(const po::variables_map& vm) {
  EvalSetup s;
  train::TrainConfig& config = s.plan.config;
  const bool baseline = vm.count("baseline") != 0;
  if (baseline == (vm.count("checkpoint") != 0))
    throw UsageError("give exactly one of --checkpoint FILE and --baseline pixels");
  int64_t head_ways = config.ways;
  if (baseline) {
    if (vm["baseline"].as<std::string>() != "pixels")
      throw UsageError("--baseline: pixels (nearest neighbour on raw pixels), got '" +
                       vm["baseline"].as<std::string>() + "'");
  } else {
    s.checkpoint_path = vm["checkpoint"].as<std::string>();
    s.checkpoint = train::read_checkpoint(s.checkpoint_path);
    config = train::from_pairs(s.checkpoint.config);
    config.device = vm["device"].as<std::string>();
    try {
      backend_for(dist::rank_device(config.device));
    } catch (const DeviceError& e) {
      throw UsageError(std::string("--device: ") + e.what());
    }
    head_ways = config.ways;
    if (train::is_unlabelled(config)) return unlabelled_setup(std::move(s), vm);
  }
  for (const char* option : {"protocol", "neighbours"})
    if (!vm[option].defaulted())
      throw UsageError(std::string("--") + option + ": for a checkpoint of an objective on unlabelled examples (vae), got " +
                       (baseline ? std::string("--baseline") : "algorithm '" + s.checkpoint.algorithm + "'"));
  if (!baseline && train::is_multitask(config)) return multitask_setup(std::move(s), vm);
  if (vm.count("store") != 0) config.store = vm["store"].as<std::string>();
  if (vm.count("ways") != 0) config.ways = vm["ways"].as<int64_t>();
  if (vm.count("shots") != 0) config.shots = vm["shots"].as<int64_t>();
  config.queries = vm["queries"].as<int64_t>();
  config.within_domain = vm["within-domain"].as<bool>();
  config.shuffle_labels = vm["shuffle-labels"].as<bool>();
  if (vm.count("test-inner-steps") != 0) config.test_inner_steps = vm["test-inner-steps"].as<int64_t>();
  config.val_episodes = vm["episodes"].as<int64_t>();
  config.seed = vm["seed"].as<uint64_t>();
  // The command line's values are checked as they are parsed; the checkpoint's are checked here
  // (one written before the bounds existed may hold any number): what follows narrows them to
  // int or sizes tensors with them.
  for (const train::TrainOption& o : train::train_options()) {
    static const std::vector<std::string> used{
        "filters",     "hidden",           "ways",     "shots",          "queries",
        "inner-steps", "test-inner-steps", "inner-lr", "matching-scale", "meta-reg-scale", "samples"};
    if (std::find(used.begin(), used.end(), o.name) == used.end()) continue;
    if (const std::string e = train::bounds_error(config, o); !e.empty())
      throw UsageError("--checkpoint " + s.checkpoint_path + ": " + e);
  }
  s.plan.eval_split = split_option(vm);
  s.plan.image = {1, 1, 1};
  if (!train::is_regression(config)) {
    if (config.store.empty()) throw UsageError("--store is required for image episodes");
    s.plan.store = data::Store::open(config.store);
    s.plan.image = s.plan.store->shape();
    if (!baseline) check_store(s, *s.plan.store);
  }
  try {
    s.plan.eval_episodes = train::episode_source(config, s.plan.store, s.plan.eval_split);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (!baseline) load_learner(s, head_ways);
  if (vm.count("reliability") != 0) {
    if (baseline || train::is_regression(config))
      throw UsageError("--reliability: for a classifier checkpoint (its class probabilities), not " +
                       std::string(baseline ? "the baseline" : "a regression one"));
    s.reliability_png = vm["reliability"].as<std::string>();
  }
  return s;
}

// The watchdog of eval's one collective, the allreduce of the episodes' values at the end: a
// rank that finished its share waits there for the others, whose shares are as large (one
// episode more at most), so the limit follows this rank's own time, updated before each of its
// episodes: train::watchdog_limit(--watchdog, seconds so far) = max(--watchdog, 10 x seconds).
class EvalWatchdog {
 public:
  EvalWatchdog(dist::Communicator& comm, double floor) : comm_(comm), floor_(floor) { tick(); }
  void tick() {
    if (comm_.size() < 2) return;  // one process waits for nobody
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    comm_.set_watchdog_seconds(train::watchdog_limit(floor_, seconds, false));
  }

 private:
  dist::Communicator& comm_;
  double floor_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

int evaluate_checkpoint(dist::Communicator& comm, const EvalSetup& s, double watchdog_floor) {
  if (comm.rank() == 0)
    for (const std::string& w : s.warnings) std::cerr << "cezanne eval: warning: " << w << "\n";
  const train::RunPlan& plan = s.plan;
  const train::TrainConfig& config = plan.config;
  EvalWatchdog watchdog(comm, watchdog_floor);
  learn::EvalResult r;
  std::optional<train::PredictiveResult> predictive;
  bool accuracy = true;
  if (s.checkpoint_path.empty()) {
    r = train::evaluate_episodes(
        [&](int64_t i) {
          watchdog.tick();
          return learn::nearest_pixels_accuracy(plan.eval_episodes->sample(0, i));
        },
        config.val_episodes, &comm);
  } else {
    nn::Params params(plan.specs(), DType::f32, dist::rank_device(config.device));
    train::load_parameters(s.checkpoint, params);
    if (plan.unlabelled && s.protocol != "objective") {
      dist::log(comm, embedding_line(s, params.list(), comm, [&] { watchdog.tick(); }));
      return 0;
    }
    if (plan.unlabelled) {
      const std::vector<learn::EvalResult> bounds =
          train::evaluate_examples(*plan.unlabelled, params.list(), *plan.eval_examples, config.val_episodes,
                                   config.seed, &comm, [&] { watchdog.tick(); });
      dist::log(comm, unlabelled_line(s, bounds, comm.size()));
      return 0;
    }
    if (plan.objective) {
      const std::unique_ptr<train::Step> step = train::make_step(plan, params, comm, 0);
      dist::log(comm, multitask_line(s, step->evaluate([&] { watchdog.tick(); }), comm.size()));
      return 0;
    }
    // The episodes of Step::evaluate (task i of step 0), scored with their calibration.
    predictive = train::evaluate_predictive(
        *plan.learner, params.list(),
        [&](int64_t i) {
          watchdog.tick();
          return plan.eval_episodes->sample(0, i);
        },
        config.val_episodes, &comm);
    r = predictive->metric;
    accuracy = plan.learner->config().loss == learn::Loss::cross_entropy;
  }
  std::ostringstream line;
  line.precision(6);
  if (plan.learner) {
    line << "{\"eval\":\"" << s.checkpoint_path << "\",\"algo\":\"" << s.checkpoint.algorithm
         << "\",\"step\":" << s.checkpoint.step;
  } else {
    line << "{\"eval\":\"baseline\",\"algo\":\"nearest_pixels\"";
  }
  line << ",\"split\":\"" << data::split_name(plan.eval_split) << "\"";
  if (accuracy)
    line << ",\"ways\":" << config.ways << ",\"within_domain\":" << (config.within_domain ? "true" : "false")
         << ",\"shuffle_labels\":" << (config.shuffle_labels ? "true" : "false");
  line << ",\"shots\":" << config.shots << ",\"queries\":" << config.queries;
  if (plan.learner) line << ",\"inner_steps\":" << plan.learner->test_steps();
  // JSON has no NaN or infinity: a diverged inner loop (MSE overflowing) reports null.
  auto number = [](double v) {
    std::ostringstream s;
    s.precision(6);
    if (std::isfinite(v))
      s << v;
    else
      s << "null";
    return s.str();
  };
  line << ",\"metric\":\"" << (accuracy ? "accuracy" : "mse") << "\",\"mean\":" << number(r.mean)
       << ",\"ci95\":" << number(r.ci95);
  // Calibration: ECE and mean confidence of the pooled queries (classifiers); NLL and coverage
  // of the central 95% interval, means over episodes (regressors; null for a point estimate
  // without a variance).
  if (predictive && accuracy)
    line << ",\"ece\":" << number(predictive->bins.ece())
         << ",\"confidence\":" << number(predictive->bins.mean_confidence());
  if (predictive && !accuracy) {
    for (const auto& [name, value] : {std::pair{"nll", predictive->nll}, std::pair{"coverage95", predictive->coverage95}}) {
      line << ",\"" << name << "\":" << (value ? number(value->mean) : "null") << ",\"" << name
           << "_ci95\":" << (value ? number(value->ci95) : "null");
    }
  }
  line << ",\"episodes\":" << r.episodes << ",\"ranks\":" << comm.size() << "}";
  dist::log(comm, line.str());
  if (!s.reliability_png.empty() && comm.rank() == 0)
    train::plot_reliability(predictive->bins, s.reliability_png,
                            {.title = s.checkpoint.algorithm + ", " + data::split_name(plan.eval_split) + " split, " +
                                      std::to_string(r.episodes) + " episodes"});
  return 0;
}

int eval_command(int argc, char** argv) {
  po::options_description options(
      "cezanne eval: meta-test a checkpoint on held-out episodes (a multitask checkpoint: every task's held-out examples); one JSON line with mean and ci95");
  // clang-format off
  options.add_options()
    ("checkpoint", po::value<std::string>(), "checkpoint file (checkpoint-NNNNNNNN.h5 of a run directory)")
    ("baseline", po::value<std::string>(), "instead of a checkpoint: pixels (nearest neighbour on raw pixels, the same episodes)")
    ("store", po::value<std::string>(), "store directory (default: the one the run trained on)")
    ("split", po::value<std::string>()->default_value("test"), "split of the episodes: test (held-out), val or train")
    ("ways", bounded<int64_t>(*train::option_bounds("ways")), "classes per episode (default: the run's; a vae checkpoint: with --protocol few-shot)")
    ("shots", bounded<int64_t>(*train::option_bounds("shots")), "support examples per class (default: the run's)")
    ("queries", bounded<int64_t>(*train::option_bounds("queries"))->default_value(15), "query examples per class")
    ("within-domain", po::value<bool>()->default_value(false)->implicit_value(true), "classes of an episode from one domain (writing system)")
    ("shuffle-labels", po::value<bool>()->default_value(true, "true")->implicit_value(true, "true"), "fresh class->label assignment per episode (false: the fixed one of training without shuffling)")
    ("test-inner-steps", bounded<int64_t>(*train::option_bounds("test-inner-steps")), "MAML family: adaptation steps (default: the run's)")
    ("episodes", bounded<int64_t>(*train::option_bounds("val-episodes"))->default_value(600), "test episodes (vae with --protocol objective: examples of --split, evenly spaced; all of them when it has fewer; triplet, nt_xent, moco: rows of --examples-per-task examples spread over --split)")
    ("iwae-samples", bounded<int64_t>(*train::option_bounds("iwae-samples"))->default_value(5000), "vae: samples k of the importance-weighted bound")
    ("seed", unsigned_value()->default_value(1000), "seed of the test episodes")
    ("protocol", po::value<std::string>()->default_value("objective"), "a checkpoint of an objective on unlabelled examples (vae): objective (its own metrics: ELBO and k-sample bound), or its frozen embedding by few-shot (nearest-centroid episodes, --ways --shots --queries --within-domain --episodes), knn (k-NN accuracy) or probe (a linear probe); see docs/pretraining.md")
    ("neighbours", bounded<int64_t>(1, 1000)->default_value(1), "--protocol knn: neighbours k of the majority vote")
    ("reliability", po::value<std::string>(), "classifiers: draw the reliability diagram (accuracy against confidence in 15 bins, with the ECE) into this PNG")
    ("list-examples", po::bool_switch(), "vae: instead of evaluating, one JSON line of the store example ids of --split (as the checkpoint splits the store: by class or by example)")
    ("threads", bounded<int>(*train::option_bounds("threads"))->default_value(0), "CPU threads per rank (0: the OpenMP default)")
    ("device", po::value<std::string>()->default_value("cpu"), "where the checkpoint's model runs: cpu; cuda (each rank the GPU of its node-local rank, modulo the visible GPUs) or cuda:N; or check (the checking device of the tests, docs/engine.md)")
    ("watchdog", bounded<double>(0.0, 1e6)->default_value(60.0, "60"), "seconds a rank may wait for the others at the end before every rank is aborted (a hung or stopped rank): at least this and 10x this rank's own evaluation time; 0: off (default: $CEZANNE_WATCHDOG_SECONDS, else 60)");
  // clang-format on
  add_train_option(options, train::train_option("tf32"));
  po::variables_map vm;
  if (!parse_options(argc, argv, "eval", options, nullptr, vm)) return 0;
  bool tf32 = false;
  try {
    tf32 = train::tf32_from(vm["tf32"].as<std::string>());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const bool list_examples = vm["list-examples"].as<bool>();
  if (list_examples && vm.count("baseline") != 0)
    throw UsageError("--list-examples: for a vae checkpoint, got --baseline");
  const EvalSetup setup = setup_from(vm);
  if (list_examples) {
    if (!setup.plan.eval_examples)
      throw UsageError("--list-examples: for a vae checkpoint, got algorithm '" + setup.checkpoint.algorithm + "'");
    std::cout << example_list_line(setup) << "\n";
    return 0;
  }
  set_num_threads(vm["threads"].as<int>());
  set_tf32(tf32);
  // --watchdog on the command line or in --config wins over CEZANNE_WATCHDOG_SECONDS.
  double watchdog = vm["watchdog"].as<double>();
  if (vm["watchdog"].defaulted()) watchdog = dist::watchdog_seconds_from_env().value_or(watchdog);
  const double phase_limit = train::kWatchdogRelaxedFactor * watchdog;
  auto world = dist::init(&argc, &argv, {.startup_seconds = phase_limit});
  const int status = dist::run_guarded(*world, [&] { return evaluate_checkpoint(*world, setup, watchdog); });
  world.reset();
  dist::finalize(phase_limit);
  return status;
}

const CommandRegistrar kEval("eval", "meta-test a checkpoint: mean accuracy (or MSE) and 95% CI",
                             eval_command);

}  // namespace
}  // namespace cz::cli
