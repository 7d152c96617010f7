// `cezanne train`: meta-training with checkpoints, validation and pre-emption, on one process
// or under mpirun / srun --mpi=pmix.
#include <boost/program_options.hpp>

#include <sstream>
#include <stdexcept>
#include <string>
#include <variant>

#include "Command.hpp"
#include "cezanne/backend/Backend.hpp"
#include "cezanne/data/StoreError.hpp"
#include "cezanne/dist/Bootstrap.hpp"
#include "cezanne/dist/Failure.hpp"
#include "cezanne/train/Trainer.hpp"

namespace po = boost::program_options;

namespace cz::cli {
namespace {

using train::TrainConfig;

// One Program_options entry per field of the option table, defaulting to TrainConfig{}'s value.
void add_option(po::options_description& options, const train::TrainOption& o) {
  const TrainConfig defaults;
  std::visit(
      [&](auto field) {
        using T = std::decay_t<decltype(defaults.*field)>;
        if constexpr (std::is_same_v<T, bool>) {
          const bool d = defaults.*field;
          options.add_options()(o.name, po::value<bool>()->default_value(d, d ? "true" : "false")->implicit_value(true, "true"), o.help);
        } else if constexpr (std::is_same_v<T, double>) {
          std::ostringstream text;
          text << defaults.*field;  // 0.4, not Program_options' 0.40000000000000002
          options.add_options()(o.name, po::value<double>()->default_value(defaults.*field, text.str()), o.help);
        } else if constexpr (std::is_same_v<T, std::string>) {
          const std::string& d = defaults.*field;
          options.add_options()(o.name, d.empty() ? po::value<std::string>() : po::value<std::string>()->default_value(d), o.help);
        } else {
          options.add_options()(o.name, po::value<T>()->default_value(defaults.*field), o.help);
        }
      },
      o.field);
}

TrainConfig config_from(const po::variables_map& vm) {
  TrainConfig c;
  for (const train::TrainOption& o : train::train_options())
    std::visit(
        [&](auto field) {
          using T = std::decay_t<decltype(c.*field)>;
          if (vm.count(o.name) != 0) c.*field = vm[o.name].as<T>();
        },
        o.field);
  return c;
}

int train_command(int argc, char** argv) {
  po::options_description options(
      "cezanne train: meta-train a learner; metrics.csv, metrics.jsonl and checkpoints in --out");
  for (const train::TrainOption& o : train::train_options()) add_option(options, o);
  po::variables_map vm;
  if (!parse_options(argc, argv, "train", options, nullptr, vm)) return 0;
  const TrainConfig config = config_from(vm);

  // Everything that can be checked is checked before MPI starts: every rank fails the same way.
  train::RunPlan plan;
  try {
    plan = train::plan_run(config);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  set_num_threads(static_cast<int>(config.threads));
  auto world = dist::init(&argc, &argv);
  const int status = dist::run_guarded(*world, [&] { return train::train(plan, *world); });
  world.reset();
  dist::finalize();
  return status;
}

const CommandRegistrar kTrain("train", "meta-train a learner on a store (or sinusoids)",
                              train_command);

}  // namespace
}  // namespace cz::cli
