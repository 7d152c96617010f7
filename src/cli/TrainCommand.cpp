// `cezanne train`: meta-training with checkpoints, validation and pre-emption, on one process
// or under mpirun / srun --mpi=pmix.
#include <boost/program_options.hpp>

#include <algorithm>
#include <iostream>
#include <stdexcept>
#include <string>

#include "Command.hpp"
#include "cezanne/backend/Backend.hpp"
#include "cezanne/backend/Tf32.hpp"
#include "cezanne/data/StoreError.hpp"
#include "cezanne/dist/Bootstrap.hpp"
#include "cezanne/dist/Failure.hpp"
#include "cezanne/learn/Algorithms.hpp"
#include "cezanne/train/StopSignal.hpp"
#include "cezanne/train/Trainer.hpp"

namespace po = boost::program_options;

namespace cz::cli {
namespace {

using train::TrainConfig;

TrainConfig config_from(const po::variables_map& vm) {
  TrainConfig c;
  for (const train::TrainOption& o : train::train_options()) set_train_option(c, vm, o);
  return c;
}

// The caption of `cezanne train --help`: what it does and every algorithm of the registry.
std::string train_caption() {
  std::string caption =
      "cezanne train: train with --algo on a store (or sinusoids); metrics.csv, metrics.jsonl and "
      "checkpoints in --out\n\nAlgorithms (cezanne train --algo NAME --help: NAME's own options only):\n";
  for (const learn::Algorithm& a : learn::algorithms()) caption += "  " + a.name + ": " + a.summary + "\n";
  return caption;
}

// `cezanne train --algo NAME --help`: the options every run has, then NAME's own. Returns false
// when the command line asks for no such help (no --help, or no --algo on it).
bool algorithm_help(int argc, char** argv) {
  std::string algo;
  bool help = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") help = true;
    if (arg == "--algo" && i + 1 < argc) algo = argv[i + 1];
    if (arg.rfind("--algo=", 0) == 0) algo = arg.substr(7);
  }
  if (!help || algo.empty()) return false;
  const learn::Algorithm* a = learn::find_algorithm(algo);
  if (a == nullptr) throw UsageError("--algo: one of " + learn::algorithm_names() + "; got '" + algo + "'");
  po::options_description general("Options of every run"), own(a->name + " (" + a->summary + ")");
  for (const train::TrainOption& o : train::train_options()) {
    if (!learn::is_algorithm_option(o.name)) add_train_option(general, o);
    else if (std::find(a->options.begin(), a->options.end(), o.name) != a->options.end()) add_train_option(own, o);
  }
  std::cout << "usage: cezanne train --algo " << a->name << " [options]\n" << own << "\n" << general << "\n";
  return true;
}

// --check-finished: whether --out holds a run that reached --steps, judged by its newest
// checkpoint that verifies (a run writes one at its last step), or stopped early (--early-stop).
// The job scripts ask this after srun, whose exit status alone cannot be trusted (a failed
// launch can exit 0).
int check_finished(const TrainConfig& c) {
  if (c.out.empty()) throw UsageError("--out: required (the run directory)");
  std::vector<std::string> warnings;
  const auto newest = train::CheckpointDir(c.out, static_cast<int>(std::max<int64_t>(c.keep, 1))).load_newest(&warnings);
  for (const std::string& w : warnings) std::cerr << ("cezanne train: warning: " + w + "\n");
  const int64_t step = newest ? newest->second.step : 0;
  bool early = false;
  if (newest)
    for (const auto& [name, value] : newest->second.state)
      early = early || (name == "trainer.early_stopped" && value.to_vector().at(0) != 0.0);
  const bool finished = step >= c.steps || early;
  std::cout << "cezanne train: " << c.out << ": step " << step << " of " << c.steps << " ("
            << (newest ? newest->first.string() : std::string("no checkpoint")) << ")"
            << (early ? ": stopped early, finished" : finished ? ": finished" : ": not finished") << std::endl;
  return finished ? 0 : train::kNotFinishedStatus;
}

int train_command(int argc, char** argv) {
  // First: a pre-emption signal during the set-up below (options, store, checkpoint, MPI_Init)
  // is recorded and ends the run before its first step with status 75, instead of killing it.
  train::install_stop_handlers();
  if (algorithm_help(argc, argv)) return 0;
  po::options_description options(train_caption());
  for (const train::TrainOption& o : train::train_options()) add_train_option(options, o);
  options.add_options()("check-finished", po::bool_switch(),
                        "train nothing: print the step of --out's newest valid checkpoint and --steps, and exit 0 when the run has reached --steps, 3 when not");
  po::variables_map vm;
  if (!parse_options(argc, argv, "train", options, nullptr, vm)) return 0;
  TrainConfig config = config_from(vm);
  // --watchdog on the command line or in --config wins over CEZANNE_WATCHDOG_SECONDS.
  if (vm["watchdog"].defaulted()) config.watchdog = dist::watchdog_seconds_from_env().value_or(config.watchdog);
  if (vm["check-finished"].as<bool>()) return check_finished(config);

  // Everything that can be checked is checked before MPI starts: every rank fails the same way.
  train::RunPlan plan;
  try {
    plan = train::plan_run(config);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  set_num_threads(static_cast<int>(config.threads));
  set_tf32(train::tf32_from(config.tf32));  // checked by plan_run
  const double phase_limit = train::kWatchdogRelaxedFactor * config.watchdog;
  auto world = dist::init(&argc, &argv, {.startup_seconds = phase_limit});
  try {
    train::check_ranks(config, world->size());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const int status = dist::run_guarded(*world, [&] { return train::train(plan, *world); });
  world.reset();
  dist::finalize(phase_limit);
  return status;
}

const CommandRegistrar kTrain("train", "train an algorithm (meta-learning, multi-task) on a store (or sinusoids)",
                              train_command);

}  // namespace
}  // namespace cz::cli
