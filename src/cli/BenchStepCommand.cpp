// `cezanne bench step`: training steps per second of one learner on synthetic episodes, of
// multi-task learning on a store's writing systems, or of an objective on a store's unlabelled examples;
// `cezanne bench scaling`: the same step at the size of its world, its time split into parts, and
// its efficiency against 1 rank (both share the options, the plan and the timed loop).
#include <sys/resource.h>

#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "Command.hpp"
#include "cezanne/data/SyntheticEpisodes.hpp"
#include "cezanne/backend/Backend.hpp"
#include "cezanne/backend/Tf32.hpp"
#include "cezanne/dist/Bootstrap.hpp"
#include "cezanne/dist/Failure.hpp"
#include "cezanne/dist/GradientReducer.hpp"
#include "cezanne/dist/Log.hpp"
#include "cezanne/dist/RankDevice.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/learn/Algorithms.hpp"
#include "cezanne/learn/EpisodicLearner.hpp"
#include "cezanne/learn/SinusoidTasks.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/MLP.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/optim/Adam.hpp"
#include "cezanne/train/Step.hpp"
#include "cezanne/train/StepCommunicator.hpp"
#include "cezanne/train/TrainConfig.hpp"
#include "cezanne/train/Trainer.hpp"

namespace po = boost::program_options;

namespace cz::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
  std::string algo, model;
  // --algo multitask: rows of --examples-per-task examples of the writing systems of --store
  std::string store, conditioning, weighting, tasks, example_split;
  std::string freeze;  // as train --freeze: a linear probe's step
  std::string device_name;
  // --algo of an unlabelled objective: its own options of cezanne train (objective_options)
  train::TrainConfig objective;
  Device device;
  bool caching = true;  // --allocator caching (else direct: every tensor from the device allocator)
  bool tf32 = false;    // --tf32 on: f32 GEMMs on a CUDA device may use TF32
  int examples_per_task = 16, task_descriptor = 0;
  int ways = 5, shots = 1, queries = 15, meta_batch = 8, inner_steps = 1, image = 28, channels = 1,
      filters = 64;
  int iters = 10, warmup = 2, threads = 0, tasks_per_pass = 0;
  std::string overlap;  // as train --overlap, --collectives, --bucket-kb
  std::string collectives;  // the choice; resolve_collectives with the world's size says what it is
  int64_t bucket_kb = 0;
  double inner_lr = 0.4, outer_lr = 1e-3;
  uint64_t seed = 0;
};

// The bounds of the options bench step shares with train (see train::option_bounds) and of its
// own: an image side of 1024 and 16 channels are beyond any few-shot set, a million timed steps
// beyond any benchmark; the synthetic images of a meta-step are capped at 2^32 values (16 GiB).
constexpr int kMaxImage = 1024, kMaxChannels = 16, kMaxIters = 1'000'000;
constexpr int64_t kMaxImageValues = int64_t{1} << 32;

const train::Bounds& bound(const char* name) { return *train::option_bounds(name); }

// The options of `cezanne train` that an unlabelled objective of the registry has and bench step
// does not define itself (the VAE's --hidden, --latent, --beta, ...): bench step takes them as
// train does, so that an objective's step is timed as it trains. Identity options only: those
// that define the model and its step, not validation's (--iwae-samples, --val-episodes).
std::vector<const train::TrainOption*> objective_options(const po::options_description& own) {
  std::vector<const train::TrainOption*> out;
  for (const train::TrainOption& o : train::train_options()) {
    if (!o.identity || own.find_nothrow(o.name, false) != nullptr) continue;
    for (const learn::Algorithm& a : learn::algorithms())
      if (a.kind == learn::Algorithm::Kind::unlabelled &&
          std::find(a.options.begin(), a.options.end(), o.name) != a.options.end()) {
        out.push_back(&o);
        break;
      }
  }
  return out;
}

// A meta-step's sizes: each value is in its bounds (checked while parsing), their products here.
void check_sizes(const Settings& s) {
  // In int64 (at most 1e4 x 1e4 x 2e4 x 16 x 1024^2: no overflow).
  const int64_t ways = s.model == "mlp" ? 1 : s.ways;
  const int64_t examples = int64_t{s.meta_batch} * ways * (int64_t{s.shots} + s.queries);
  if (examples > train::kMaxExamplesPerStep)
    throw UsageError("--meta-batch: " + std::to_string(s.meta_batch) + " tasks of " +
                     (s.model == "mlp" ? "" : "--ways " + std::to_string(s.ways) + " x ") +
                     "(--shots " + std::to_string(s.shots) + " + --queries " +
                     std::to_string(s.queries) + ") are " + std::to_string(examples) +
                     " examples per meta-step, more than " +
                     std::to_string(train::kMaxExamplesPerStep));
  const int64_t values = examples * s.channels * s.image * s.image;
  if (s.model == "conv4" && values > kMaxImageValues)
    throw UsageError("--image: " + std::to_string(examples) + " synthetic images of " +
                     std::to_string(s.channels) + " x " + std::to_string(s.image) + " x " +
                     std::to_string(s.image) + " are " + std::to_string(values) +
                     " values per meta-step, more than " + std::to_string(kMaxImageValues));
}

Settings settings_from(const po::variables_map& vm, const std::vector<const train::TrainOption*>& objective) {
  Settings s;
  s.algo = vm["algo"].as<std::string>();
  s.model = vm["model"].as<std::string>();
  s.ways = vm["ways"].as<int>();
  s.shots = vm["shots"].as<int>();
  s.queries = vm["queries"].as<int>();
  s.meta_batch = vm["meta-batch"].as<int>();
  s.inner_steps = vm["inner-steps"].as<int>();
  s.inner_lr = vm["inner-lr"].as<double>();
  s.outer_lr = vm["outer-lr"].as<double>();
  s.image = vm["image"].as<int>();
  s.channels = vm["channels"].as<int>();
  s.filters = vm["filters"].as<int>();
  s.iters = vm["iters"].as<int>();
  s.warmup = vm["warmup"].as<int>();
  s.threads = vm["threads"].as<int>();
  try {
    s.device_name = vm["device"].as<std::string>();
    s.device = dist::rank_device(s.device_name);
    backend_for(s.device);
  } catch (const DeviceError& e) {
    throw UsageError(std::string("--device: ") + e.what());
  }
  try {
    s.collectives = vm["collectives"].as<std::string>();
    train::resolve_collectives(s.collectives, s.device, 1);  // its refusals, before MPI starts
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const std::string allocator = vm["allocator"].as<std::string>();
  if (allocator != "caching" && allocator != "direct")
    throw UsageError("--allocator: caching or direct, got '" + allocator + "'");
  s.caching = allocator == "caching";
  try {
    s.tf32 = train::tf32_from(vm["tf32"].as<std::string>());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  s.tasks_per_pass = vm["tasks-per-pass"].as<int>();
  s.overlap = vm["overlap"].as<std::string>();
  if (s.overlap != "on" && s.overlap != "off") throw UsageError("--overlap: on or off, got '" + s.overlap + "'");
  s.bucket_kb = vm["bucket-kb"].as<int64_t>();
  s.seed = vm["seed"].as<uint64_t>();
  s.store = vm.count("store") != 0 ? vm["store"].as<std::string>() : "";
  s.conditioning = vm["conditioning"].as<std::string>();
  s.weighting = vm["weighting"].as<std::string>();
  s.tasks = vm.count("tasks") != 0 ? vm["tasks"].as<std::string>() : "";
  s.examples_per_task = vm["examples-per-task"].as<int>();
  s.example_split = vm["example-split"].as<std::string>();
  s.task_descriptor = vm["task-descriptor"].as<int>();
  s.freeze = vm.count("freeze") != 0 ? vm["freeze"].as<std::string>() : "";
  if (s.algo == "multitask") {
    if (s.store.empty()) throw UsageError("--store: required with --algo multitask (its writing systems are the tasks)");
    return s;
  }
  const learn::Algorithm* algorithm = learn::find_algorithm(s.algo);
  if (algorithm == nullptr)
    throw UsageError("--algo: one of " + learn::algorithm_names() + "; got '" + s.algo + "'");
  // An unlabelled objective's options, --model included, are checked as train checks them
  // (unlabelled_plan).
  if (algorithm->kind == learn::Algorithm::Kind::unlabelled) {
    for (const train::TrainOption* o : objective) set_train_option(s.objective, vm, *o);
    return s;
  }
  if (s.model != "conv4" && s.model != "mlp")
    throw UsageError("--model: conv4 or mlp, got '" + s.model + "'");
  if (s.model == "mlp" && !algorithm->inner_loop && !algorithm->regression_only)
    throw UsageError(
        "--model mlp is sinusoid regression: --algo must be maml, fomaml, anil or neural_process, got '" + s.algo +
        "'");
  if (s.model != "mlp" && algorithm->regression_only)
    throw UsageError("--algo " + s.algo + " is sinusoid regression: --model must be mlp, got '" + s.model + "'");
  check_sizes(s);
  return s;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

// --warmup untimed steps, then the seconds of --iters steps on the slowest rank; `on_start` runs
// before the first timed step.
template <class Step>
double timed(dist::Communicator& comm, const Settings& s, const Step& step, const std::function<void()>& on_start) {
  for (int i = 0; i < s.warmup; ++i) step(i);
  comm.barrier();
  on_start();
  const auto start = Clock::now();
  for (int i = 0; i < s.iters; ++i) step(s.warmup + i);
  // The clock stops when the device has done the steps' work, not when the host has queued it
  // (the optimizer's last kernels follow the step's last read of the device).
  backend_for(s.device).synchronize(current_stream(s.device));
  comm.barrier();
  return comm.allreduce_value(std::chrono::duration<double>(Clock::now() - start).count(),
                              dist::ReduceOp::max);
}

// Seconds per step of the blocking gradient allreduce of `params` alone (buckets of
// --bucket-kb, the slowest rank): the communication a step has to hide.
double blocking_allreduce_seconds(dist::Communicator& comm, const nn::Params& params, const Settings& s) {
  Tensor gradient = Tensor::zeros({params.numel()}, params.dtype(), params.device());
  dist::GradientReducer reducer(comm, static_cast<size_t>(s.bucket_kb) << 10);
  reducer.reduce(gradient, s.meta_batch);  // untimed: the first collectives set up connections
  comm.barrier();
  const auto start = Clock::now();
  for (int i = 0; i < s.iters; ++i) reducer.reduce(gradient, s.meta_batch);
  // NCCL's reductions are queued on the device when reduce() returns: its barrier waits for them.
  if (comm.device_buffers()) comm.barrier();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return comm.allreduce_value(seconds / s.iters, dist::ReduceOp::max);
}

// What --iters timed steps of a plan cost: the figures of bench step's and bench scaling's lines.
struct Measurement {
  int64_t parameters = 0;
  double seconds = 0.0;  ///< the --iters steps, slowest rank
  // Per step, slowest rank (the max over ranks of each part): the reducer's time the steps did
  // not hide, the wait for the batch, Adam's step and after_step.
  double exposed = 0.0, sampling = 0.0, optimizer = 0.0;
  double buckets = 0.0, overlapped = 0.0;  ///< bucket allreduces per step, and of those during backward
  double communication = 0.0;             ///< the blocking allreduce of the gradient alone, per step
  double allocations = 0.0, device_allocations = 0.0, peak_allocated_mb = 0.0;  ///< rank 0's
  double rss = 0.0, total_rss = 0.0;
  double global_loss = 0.0;  ///< the last step's loss over the global meta-batch
};

// Steps of the plan through the trainer's own Step (sampling included: the prefetcher's for
// meta-learning, from --store for multi-task learning) and an Adam step, so the figure is what
// `cezanne train` spends per step, validation aside.
Measurement measure(dist::Communicator& world, const Settings& s, const train::RunPlan& plan) {
  // As train: the step's collectives on NCCL or the world's communicator. Its barrier also waits
  // for the device, so the timed steps end with their queued work done.
  const std::shared_ptr<dist::Communicator> collectives = train::step_communicator(s.collectives, world, s.device);
  dist::Communicator& comm = *collectives;
  CachingAllocator& allocator = backend_for(s.device).allocator();
  allocator.set_caching(s.caching);
  nn::Params params(plan.specs(), DType::f32, s.device);
  params.initialize(s.seed);
  const std::vector<optim::ParamGroup> groups = plan.recipe->groups();
  for (size_t i = 0; i < params.size(); ++i) Var(params[i]).set_requires_grad(!groups[i].frozen);
  optim::Adam adam(params, s.outer_lr, 0.9, 0.999, 1e-8, 0.0, false, groups);
  const std::unique_ptr<train::Step> learning = train::make_step(plan, params, comm, 0);
  double loss = 0.0, optimizer = 0.0;
  auto step = [&](int64_t index) {
    adam.zero_grad();
    loss = learning->gradient(index).loss;
    const auto before_optimizer = Clock::now();
    adam.step();
    learning->after_step(index);
    optimizer += std::chrono::duration<double>(Clock::now() - before_optimizer).count();
  };
  AllocatorStats before;
  train::ReductionStats reduction_before;
  double sampling_before = 0.0;
  Measurement m;
  m.parameters = params.numel();
  m.seconds = timed(comm, s, step, [&] {
    allocator.reset_peak();
    before = allocator.stats();
    reduction_before = learning->reduction();
    sampling_before = learning->sampling_seconds();
    optimizer = 0.0;
  });
  auto slowest_per_step = [&](double seconds) {
    return comm.allreduce_value(seconds / s.iters, dist::ReduceOp::max);
  };
  // The reducer's exposed time includes waiting for a slower rank's backward; the blocking
  // allreduce of the gradient alone, after a barrier, is what there is to hide.
  const train::ReductionStats reduction = learning->reduction();
  m.exposed = slowest_per_step(reduction.exposed_seconds - reduction_before.exposed_seconds);
  m.sampling = slowest_per_step(learning->sampling_seconds() - sampling_before);
  m.optimizer = slowest_per_step(optimizer);
  m.buckets = static_cast<double>(reduction.buckets - reduction_before.buckets) / s.iters;
  m.overlapped = static_cast<double>(reduction.overlapped_buckets - reduction_before.overlapped_buckets) / s.iters;
  m.communication = blocking_allreduce_seconds(comm, params, s);
  const AllocatorStats after = allocator.stats();
  auto per_step = [&](uint64_t AllocatorStats::*counter) {
    return static_cast<double>(after.*counter - before.*counter) / s.iters;
  };
  m.allocations = per_step(&AllocatorStats::requests);
  m.device_allocations = per_step(&AllocatorStats::device_allocations);
  m.peak_allocated_mb = static_cast<double>(after.peak_allocated) / (1 << 20);
  m.rss = comm.allreduce_value(peak_rss_mb(), dist::ReduceOp::max);
  m.total_rss = comm.allreduce_value(peak_rss_mb(), dist::ReduceOp::sum);
  m.global_loss = comm.allreduce_value(loss, dist::ReduceOp::sum) / s.meta_batch;
  return m;
}

// The fields that say what is stepped (the algorithm and its model), with `meta_batch` where
// bench step has always printed it, if given.
void model_fields(std::ostream& line, const Settings& s, const train::RunPlan& plan, std::optional<int> meta_batch) {
  auto batch = [&] {
    if (meta_batch) line << ",\"meta_batch\":" << *meta_batch;
  };
  line << ",\"algo\":\"" << s.algo << "\"";
  if (plan.unlabelled) {
    line << ",\"model\":\"" << plan.unlabelled->description() << "\"";
    batch();
    line << ",\"examples_per_task\":" << s.examples_per_task;
  } else if (plan.objective) {
    line << ",\"conditioning\":\"" << s.conditioning << "\",\"weighting\":\"" << s.weighting << "\"";
    if (!s.freeze.empty()) line << ",\"freeze\":\"" << s.freeze << "\"";
    line << ",\"tasks\":" << plan.tasks->num_tasks();
    batch();
    line << ",\"examples_per_task\":" << s.examples_per_task << ",\"filters\":" << s.filters;
  } else {
    const bool images = s.model == "conv4";
    line << ",\"model\":\"" << s.model << "\"";
    if (images) line << ",\"ways\":" << s.ways;
    line << ",\"shots\":" << s.shots << ",\"queries\":" << s.queries;
    batch();
    line << ",\"inner_steps\":" << s.inner_steps << ",\"inner_lr\":" << s.inner_lr << ",\"outer_lr\":" << s.outer_lr;
    if (images)
      line << ",\"image\":" << s.image << ",\"channels\":" << s.channels << ",\"filters\":" << s.filters;
  }
}

// bench step's JSON line.
int run_bench(dist::Communicator& comm, const Settings& s, const train::RunPlan& plan) {
  const Measurement m = measure(comm, s, plan);
  std::ostringstream line;
  line << "{\"bench\":\"step\"";
  model_fields(line, s, plan, s.meta_batch);
  line << ",\"iters\":" << s.iters << ",\"warmup\":" << s.warmup << ",\"threads\":" << num_threads();
  const bool rows = plan.objective || plan.unlabelled;
  if (!rows) {
    const int64_t local = static_cast<int64_t>(owned_tasks(s.meta_batch, comm.rank(), comm.size()).size());
    const int64_t per_pass = train::tasks_per_pass(s.tasks_per_pass, s.model, s.device);
    line << ",\"tasks_per_pass\":" << (per_pass == 0 ? local : std::min(per_pass, local));
  }
  line << ",\"ranks\":" << comm.size() << ",\"parameters\":" << m.parameters
       << ",\"overlap\":\"" << s.overlap << "\",\"bucket_kb\":" << s.bucket_kb << ",\"collectives\":\""
       << train::resolve_collectives(s.collectives, s.device, comm.size()) << "\",\"seconds\":" << m.seconds
       << ",\"communication_s\":" << m.communication << ",\"exposed_communication_s\":" << m.exposed
       << ",\"buckets_per_step\":" << m.buckets << ",\"overlapped_buckets_per_step\":" << m.overlapped;
  if (rows)
    line << ",\"steps_per_s\":" << s.iters / m.seconds << ",\"examples_per_s\":"
         << static_cast<double>(s.meta_batch) * s.examples_per_task * s.iters / m.seconds;
  else
    line << ",\"tasks_per_s\":" << static_cast<double>(s.meta_batch) * s.iters / m.seconds
         << ",\"meta_steps_per_s\":" << s.iters / m.seconds;
  line << ",\"device\":\"" << s.device.str() << "\",\"tf32\":\"" << (s.tf32 ? "on" : "off")
       << "\",\"allocator\":\"" << (s.caching ? "caching" : "direct")
       << "\",\"allocations_per_step\":" << m.allocations
       << ",\"device_allocations_per_step\":" << m.device_allocations
       << ",\"peak_allocated_mb\":" << m.peak_allocated_mb;
  line << ",\"peak_rss_mb\":" << m.rss << ",\"peak_rss_mb_all_ranks\":" << m.total_rss
       << ",\"last_loss\":" << (std::isfinite(m.global_loss) ? m.global_loss : -1.0) << "}";
  dist::log(comm, line.str());
  return 0;
}

// The plan's recipe (--freeze), as train makes it.
std::shared_ptr<const train::Recipe> recipe_of(const train::RunPlan& plan) {
  std::vector<std::string> names;
  for (const nn::ParamSpec& spec : plan.specs()) names.push_back(spec.name);
  return std::make_shared<train::Recipe>(names, plan.config);
}

// The plan of a multi-task benchmark: the options train takes for the same run.
train::RunPlan multitask_plan(const Settings& s) {
  train::RunPlan plan;
  train::TrainConfig& c = plan.config;
  c.algo = "multitask";
  c.store = s.store;
  c.filters = s.filters;
  c.meta_batch = s.meta_batch;
  c.examples_per_task = s.examples_per_task;
  c.conditioning = s.conditioning;
  c.weighting = s.weighting;
  c.tasks = s.tasks;
  c.example_split = s.example_split;
  c.task_descriptor = s.task_descriptor;
  c.freeze = s.freeze;
  c.seed = s.seed;
  c.tasks_per_pass = s.tasks_per_pass;
  c.overlap = s.overlap;
  c.bucket_kb = s.bucket_kb;
  if (c.weighting == "manual") throw UsageError("--weighting manual: not benchmarked (it costs what uniform costs)");
  try {
    plan.store = data::Store::open(c.store);
    plan.image = plan.store->shape();
    train::plan_multitask(plan);
    plan.recipe = recipe_of(plan);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return plan;
}

// The plan of an unlabelled objective's benchmark: the rows of --store's train split and the
// objective train makes of the same options, checked as train checks them.
train::RunPlan unlabelled_plan(const Settings& s) {
  train::RunPlan plan;
  train::TrainConfig& c = plan.config;
  c = s.objective;
  c.algo = s.algo;
  c.model = s.model;
  c.store = s.store;
  c.filters = s.filters;
  c.meta_batch = s.meta_batch;
  c.examples_per_task = s.examples_per_task;
  c.example_split = s.example_split;
  c.freeze = s.freeze;
  c.lr = s.outer_lr;
  c.seed = s.seed;
  c.device = s.device_name;
  c.tasks_per_pass = s.tasks_per_pass;
  try {
    train::validate(c);
    plan.store = data::Store::open(c.store);
    plan.image = plan.store->shape();
    train::plan_unlabelled(plan);
    plan.recipe = recipe_of(plan);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return plan;
}

// The plan of a meta-learning benchmark: the learner of --algo on synthetic image episodes
// (conv4) or sinusoid tasks (mlp). The model and learner are checked before MPI starts: a bad
// size is a usage error.
train::RunPlan episodic_plan(const Settings& s) {
  train::RunPlan plan;
  train::TrainConfig& c = plan.config;
  c.algo = s.algo;
  c.model = s.model;
  c.meta_batch = s.meta_batch;
  c.shots = s.shots;
  c.queries = s.queries;
  c.tasks_per_pass = s.tasks_per_pass;
  c.overlap = s.overlap;
  c.bucket_kb = s.bucket_kb;
  c.seed = s.seed;
  try {
    learn::LearnerConfig lc;
    lc.algorithm = s.algo;
    lc.ways = s.model == "mlp" ? 1 : s.ways;
    lc.inner_lr = s.inner_lr;
    lc.inner_steps = s.inner_steps;
    if (s.model == "mlp") {
      lc.model = std::make_shared<nn::MLP>(learn::SinusoidTasks::model());
      lc.loss = learn::Loss::mse;
      plan.train_episodes = train::episode_source(c, nullptr, data::Split::train);
    } else {
      lc.model = std::make_shared<nn::Conv4>(s.filters, s.channels, s.image, s.ways);
      plan.train_episodes = std::make_shared<data::SyntheticEpisodes>(
          data::SyntheticSpec{.ways = s.ways, .shots = s.shots, .queries = s.queries,
                              .channels = s.channels, .image = s.image},
          s.seed);
    }
    plan.learner = learn::make_learner(lc);
    plan.recipe = recipe_of(plan);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return plan;
}

// The options bench step and bench scaling share: what is stepped, and how it is timed.
void add_bench_options(po::options_description& options) {
  // clang-format off
  options.add_options()
    ("algo", po::value<std::string>()->default_value("maml"), "an algorithm of cezanne train (multitask: rows of --examples-per-task examples of --store's writing systems; vae: rows of its unlabelled train examples)")
    ("model", po::value<std::string>()->default_value("conv4"), "conv4 (images) or mlp (sinusoid regression, 1-40-40-1); vae: as cezanne train --model")
    ("ways", bounded<int>(bound("ways"))->default_value(5), "classes per task (conv4)")
    ("shots", bounded<int>(bound("shots"))->default_value(1), "support examples per class (mlp: K points)")
    ("queries", bounded<int>(bound("queries"))->default_value(15), "query examples per class (mlp: Q points)")
    ("meta-batch", bounded<int>(bound("meta-batch"))->default_value(8), "tasks per meta-step over all ranks")
    ("inner-steps", bounded<int>(bound("inner-steps"))->default_value(1), "inner SGD steps (MAML family)")
    ("inner-lr", bounded<double>(bound("inner-lr"))->default_value(0.4), "inner learning rate (MAML family)")
    ("outer-lr", bounded<double>(bound("lr"))->default_value(1e-3), "Adam learning rate")
    ("image", bounded<int>(1, kMaxImage)->default_value(28), "image side (conv4)")
    ("channels", bounded<int>(1, kMaxChannels)->default_value(1), "image channels (conv4)")
    ("filters", bounded<int>(bound("filters"))->default_value(64), "Conv4 filters")
    ("iters", bounded<int>(1, kMaxIters)->default_value(10), "timed meta-steps")
    ("warmup", bounded<int>(0, kMaxIters)->default_value(2), "untimed meta-steps first")
    ("threads", bounded<int>(bound("threads"))->default_value(0), "CPU threads per rank (0: the OpenMP default)")
    ("device", po::value<std::string>()->default_value("cpu"), "where the step runs: cpu; cuda (each rank the GPU of its node-local rank, modulo the visible GPUs) or cuda:N; or check (the checking device, docs/engine.md)")
    ("allocator", po::value<std::string>()->default_value("caching"), "caching (size-class free lists) or direct (every tensor from the device's allocator): the cache's effect")
    ("tasks-per-pass", bounded<int>(bound("tasks-per-pass"))->default_value(0), "tasks of a rank per forward/backward pass, gradients accumulated: fewer, less memory (0: auto: 2 for conv4 on the CPU; all on a GPU and for mlp)")
    ("overlap", po::value<std::string>()->default_value(train::TrainConfig{}.overlap), "on or off: the gradient allreduce overlapped with the last backward pass (as cezanne train --overlap)")
    ("collectives", po::value<std::string>()->default_value(train::TrainConfig{}.collectives), "auto, nccl or mpi: who moves the gradient between ranks (as cezanne train --collectives)")
    ("bucket-kb", bounded<int64_t>(bound("bucket-kb"))->default_value(train::TrainConfig{}.bucket_kb), "KiB per bucket of the gradient allreduce (as cezanne train --bucket-kb)")
    ("seed", unsigned_value()->default_value(0), "seed of the parameters and synthetic tasks")
    ("store", po::value<std::string>(), "multitask: the store whose writing systems are the tasks; vae: the store of the examples")
    ("conditioning", po::value<std::string>()->default_value("multi_head"), "multitask: as cezanne train --conditioning")
    ("weighting", po::value<std::string>()->default_value("uniform"), "multitask: as cezanne train --weighting (not manual)")
    ("tasks", po::value<std::string>(), "multitask: comma-separated writing systems (default: all)")
    ("examples-per-task", bounded<int>(bound("examples-per-task"))->default_value(16), "multitask, vae: examples per row (--meta-batch rows per step)")
    ("example-split", po::value<std::string>()->default_value("14/2/4"), "multitask, vae: as cezanne train --example-split")
    ("task-descriptor", bounded<int>(bound("task-descriptor"))->default_value(0), "multitask: as cezanne train --task-descriptor")
    ("freeze", po::value<std::string>(), "multitask, vae: as cezanne train --freeze (e.g. 'block*': a linear probe's step)");
  // clang-format on
  add_train_option(options, train::train_option("tf32"));
}

// The plan of the settings: multi-task, unlabelled or meta-learning.
train::RunPlan plan_of(const Settings& s) {
  const learn::Algorithm* algorithm = learn::find_algorithm(s.algo);
  return s.algo == "multitask"                                     ? multitask_plan(s)
         : algorithm->kind == learn::Algorithm::Kind::unlabelled ? unlabelled_plan(s)
                                                                  : episodic_plan(s);
}

using Run = std::function<int(dist::Communicator&, const Settings&, const train::RunPlan&)>;

// A bench command: `options` (add_bench_options' and the command's own) parsed, the settings
// (`adjust` reads the command's own options into them) checked and the plan built before MPI
// starts, so a bad value is one usage error; then `run` on every rank.
int bench_command(int argc, char** argv, const std::string& name, po::options_description& options,
                  const std::function<void(const po::variables_map&, Settings&)>& adjust, const Run& run) {
  const std::vector<const train::TrainOption*> objective = objective_options(options);
  for (const train::TrainOption* o : objective) add_train_option(options, *o);
  po::variables_map vm;
  if (!parse_options(argc, argv, name, options, nullptr, vm)) return 0;
  Settings s = settings_from(vm, objective);
  adjust(vm, s);
  const train::RunPlan plan = plan_of(s);
  set_num_threads(s.threads);
  set_tf32(s.tf32);
  auto world = dist::init(&argc, &argv);
  const int status = dist::run_guarded(*world, [&] { return run(*world, s, plan); });
  world.reset();
  dist::finalize();
  return status;
}

int bench_step(int argc, char** argv) {
  po::options_description options(
      "cezanne bench step: training steps (Adam outer step) on synthetic episodes, on --store's writing systems "
      "(multitask) or on its unlabelled examples (vae), one JSON line");
  add_bench_options(options);
  return bench_command(argc, argv, "bench step", options, [](const po::variables_map&, Settings&) {}, run_bench);
}

const CommandRegistrar kBenchStep(
    "bench step", "training steps per second of a learner (episodes, multi-task rows, unlabelled examples)", bench_step);

// bench scaling's own settings.
struct Scaling {
  std::string mode = "weak";  // weak: --tasks-per-rank x ranks tasks per step; strong: --meta-batch
  int tasks_per_rank = 4;
  std::string out;  // the JSON lines file rank 0 appends to ("": none)
};

// The tasks/s of the first 1-rank line of `out` whose settings are `identity` (the line's text
// up to "ranks"), if any: the reference of the efficiency.
std::optional<double> one_rank_tasks_per_s(const std::string& out, const std::string& identity) {
  std::ifstream in(out);
  const std::string prefix = identity + ",\"ranks\":1,";
  const std::string field = "\"tasks_per_s\":";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const size_t at = line.find(field);
    if (at == std::string::npos) continue;
    const double value = std::strtod(line.c_str() + at + field.size(), nullptr);
    if (value > 0) return value;
  }
  return std::nullopt;
}

// bench scaling's JSON line: the step time of the world it runs in split into sampling,
// communication, optimizer and compute (the rest), tasks/s and the efficiency against the 1-rank
// line of --out; rank 0 appends it to --out.
int run_scaling(dist::Communicator& comm, Settings s, const Scaling& scaling) {
  // Weak scaling: --tasks-per-rank tasks on each rank of this world.
  if (scaling.mode == "weak") s.meta_batch = scaling.tasks_per_rank * comm.size();
  const train::RunPlan plan = plan_of(s);
  const Measurement m = measure(comm, s, plan);
  std::ostringstream identity;
  identity << "{\"bench\":\"scaling\",\"mode\":\"" << scaling.mode << "\"";
  // Strong: the fixed global meta-batch is a setting; weak: the tasks per rank.
  model_fields(identity, s, plan, scaling.mode == "strong" ? std::optional<int>(s.meta_batch) : std::nullopt);
  if (scaling.mode == "weak") identity << ",\"tasks_per_rank\":" << scaling.tasks_per_rank;
  identity << ",\"iters\":" << s.iters << ",\"warmup\":" << s.warmup << ",\"threads\":" << num_threads()
           << ",\"overlap\":\"" << s.overlap << "\",\"bucket_kb\":" << s.bucket_kb << ",\"collectives\":\""
           << train::resolve_collectives(s.collectives, s.device, comm.size()) << "\",\"device\":\""
           << s.device.str() << "\"";
  const double per_step = m.seconds / s.iters;
  const double tasks_per_s = static_cast<double>(s.meta_batch) / per_step;
  std::optional<double> efficiency;
  if (comm.rank() == 0 && !scaling.out.empty()) {
    if (const std::optional<double> one = one_rank_tasks_per_s(scaling.out, identity.str())) {
      const double ranks = comm.size();
      efficiency = scaling.mode == "weak" ? tasks_per_s / ranks / *one : tasks_per_s / (ranks * *one);
    }
  }
  std::ostringstream line;
  line << identity.str() << ",\"ranks\":" << comm.size();
  if (scaling.mode == "weak")
    line << ",\"meta_batch\":" << s.meta_batch;
  else
    line << ",\"tasks_per_rank\":" << static_cast<double>(s.meta_batch) / comm.size();
  line << ",\"seconds_per_step\":" << per_step << ",\"sampling_s\":" << m.sampling
       << ",\"compute_s\":" << per_step - m.sampling - m.exposed - m.optimizer
       << ",\"communication_s\":" << m.exposed << ",\"optimizer_s\":" << m.optimizer
       << ",\"tasks_per_s\":" << tasks_per_s << ",\"steps_per_s\":" << 1.0 / per_step << ",\"efficiency\":";
  if (efficiency)
    line << *efficiency;
  else
    line << "null";
  line << ",\"parameters\":" << m.parameters << "}";
  dist::log(comm, line.str());
  if (comm.rank() == 0 && !scaling.out.empty()) {
    std::ofstream out(scaling.out, std::ios::app);
    out << line.str() << "\n";
    if (!out.flush()) throw std::runtime_error(scaling.out + ": cannot append to it");
  }
  return 0;
}

int bench_scaling(int argc, char** argv) {
  po::options_description options(
      "cezanne bench scaling: bench step's meta-step at the size of the world it runs in (mpirun/srun -n P), "
      "its time split into sampling, compute, communication and optimizer, one JSON line (docs/scaling.md)");
  add_bench_options(options);
  // clang-format off
  options.add_options()
    ("mode", po::value<std::string>()->default_value("weak"), "weak (--tasks-per-rank tasks on each rank) or strong (--meta-batch tasks over all ranks)")
    ("tasks-per-rank", bounded<int>(bound("meta-batch")), "weak: tasks per rank per step (default 4)")
    ("out", po::value<std::string>()->value_name("FILE.jsonl"), "append the line to FILE.jsonl (rank 0; created if missing); its 1-rank line of the same settings is the efficiency's reference");
  // clang-format on
  Scaling scaling;
  auto adjust = [&](const po::variables_map& vm, Settings& s) {
    scaling.mode = vm["mode"].as<std::string>();
    if (scaling.mode != "weak" && scaling.mode != "strong")
      throw UsageError("--mode: weak or strong, got '" + scaling.mode + "'");
    if (scaling.mode == "strong" && vm.count("tasks-per-rank") != 0)
      throw UsageError("--tasks-per-rank: weak scaling only (--mode strong steps --meta-batch tasks over all ranks)");
    if (scaling.mode == "weak" && !vm["meta-batch"].defaulted())
      throw UsageError("--meta-batch: strong scaling only (--mode weak steps --tasks-per-rank tasks on each rank)");
    if (vm.count("tasks-per-rank") != 0) scaling.tasks_per_rank = vm["tasks-per-rank"].as<int>();
    if (vm.count("out") != 0) scaling.out = vm["out"].as<std::string>();
    // Checked (settings_from, the plan) with the tasks of one rank; run_scaling multiplies them.
    if (scaling.mode == "weak") {
      s.meta_batch = scaling.tasks_per_rank;
      if (s.algo != "multitask" && learn::find_algorithm(s.algo)->kind != learn::Algorithm::Kind::unlabelled)
        check_sizes(s);
    }
  };
  return bench_command(argc, argv, "bench scaling", options, adjust,
                       [&](dist::Communicator& comm, const Settings& s, const train::RunPlan&) {
                         return run_scaling(comm, s, scaling);
                       });
}

const CommandRegistrar kBenchScaling(
    "bench scaling", "a meta-step's time split into sampling, compute, communication and optimizer, and its scaling efficiency",
    bench_scaling);

}  // namespace
}  // namespace cz::cli
