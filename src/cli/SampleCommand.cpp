// `cezanne sample --checkpoint VAE.h5 --out DIR`: PNG grids of a latent-variable model's samples
// from the prior, reconstructions of held-out examples, and a traversal of the latent space.
#include <boost/program_options.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "Command.hpp"
#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/data/ImageGrid.hpp"
#include "cezanne/data/Png.hpp"
#include "cezanne/learn/Vae.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "cezanne/train/Trainer.hpp"

namespace fs = std::filesystem;
namespace po = boost::program_options;

namespace cz::cli {
namespace {

constexpr int64_t kColumns = 8;  // images per row of every grid
constexpr int64_t kGap = 2;      // white pixels between images

// Images [N, C x H x W] (pixels in [0, 1]) as a grid of kColumns per row.
data::Image grid(const std::vector<double>& pixels, int64_t n, const data::ImageShape& s) {
  return data::image_grid(pixels, n, s, kColumns, kGap);
}

int sample_command(int argc, char** argv) {
  po::options_description options(
      "cezanne sample: PNG grids of a VAE checkpoint: samples.png (z from the prior), reconstructions.png (rows of examples of --split, each followed by its reconstruction) and traversal.png (one example's posterior mean with latent dimension r swept over [-3, 3] in row r)");
  // clang-format off
  options.add_options()
    ("checkpoint", po::value<std::string>()->required(), "checkpoint of a cezanne train --algo vae run")
    ("out", po::value<std::string>()->required(), "directory of the PNGs (created)")
    ("store", po::value<std::string>(), "store directory (default: the one the run trained on)")
    ("split", po::value<std::string>()->default_value("test"), "split of the reconstructed examples: test, val or train")
    ("seed", unsigned_value()->default_value(0), "seed of the prior samples");
  // clang-format on
  po::variables_map vm;
  if (!parse_options(argc, argv, "sample", options, nullptr, vm)) return 0;
  const std::string path = vm["checkpoint"].as<std::string>();
  const train::Checkpoint checkpoint = train::read_checkpoint(path);
  train::RunPlan plan;
  plan.config = train::from_pairs(checkpoint.config);
  if (plan.config.algo != "vae")
    throw UsageError("--checkpoint " + path + ": not a vae checkpoint (algorithm '" + checkpoint.algorithm + "')");
  if (vm.count("store") != 0) plan.config.store = vm["store"].as<std::string>();
  try {
    plan.eval_split = data::parse_split(vm["split"].as<std::string>());
  } catch (const std::exception&) {
    throw UsageError("--split: train, val or test, got '" + vm["split"].as<std::string>() + "'");
  }
  plan.store = data::Store::open(plan.config.store);
  plan.image = plan.store->shape();
  try {
    train::plan_unlabelled(plan);
    learn::check_loadable(checkpoint.algorithm, train::checkpoint_specs(checkpoint), plan.algorithm(), plan.specs());
  } catch (const std::invalid_argument& e) {
    throw UsageError("--checkpoint " + path + ": " + e.what());
  }
  const auto& vae = dynamic_cast<const learn::Vae&>(*plan.unlabelled);
  nn::Params params(plan.specs());
  train::load_parameters(checkpoint, params);
  const nn::ParamList& theta = params.list();
  const fs::path out = vm["out"].as<std::string>();
  fs::create_directories(out);

  NoGradGuard no_grad;
  const int64_t l = vae.spec().latent;
  // The decoder's mean of p(x|z) as pixels: the Bernoulli's probabilities, the Gaussian's means.
  auto pixels = [&](const Var& z) {
    const Var o = vae.decode(theta, z);
    return (vae.spec().likelihood == learn::Likelihood::bernoulli ? sigmoid(o) : o).data().to_vector();
  };
  const int64_t n = 4 * kColumns;
  data::write_png(out / "samples.png",
                  grid(pixels(Var(Tensor::normal({n, l}, 0.0, 1.0, vm["seed"].as<uint64_t>()))), n, plan.image));

  // Rows of kColumns evenly spaced examples, each row followed by its reconstruction (z = mean).
  const data::UnlabelledSource& examples = *plan.eval_examples;
  const int64_t count = std::min<int64_t>(n / 2, examples.num_examples());
  std::vector<Tensor> inputs;
  for (int64_t i = 0; i < count; ++i)
    inputs.push_back(examples.example(i * examples.num_examples() / count).reshape({1, vae.spec().inputs}));
  const Var x(cat(inputs, 0));
  const learn::Vae::Posterior q = vae.encode(theta, x);
  const std::vector<double> original = x.data().to_vector(), rebuilt = pixels(q.mean);
  const int64_t d = vae.spec().inputs;
  std::vector<double> both;
  for (int64_t row = 0; row * kColumns < count; ++row)
    for (const std::vector<double>* source : {&original, &rebuilt})
      for (int64_t i = row * kColumns; i < std::min(count, (row + 1) * kColumns); ++i)
        both.insert(both.end(), source->begin() + i * d, source->begin() + (i + 1) * d);
  data::write_png(out / "reconstructions.png", grid(both, static_cast<int64_t>(both.size()) / d, plan.image));

  // The first example's posterior mean; row r sets dimension r to kColumns values in [-3, 3].
  const std::vector<double> mean = q.mean.data().to_vector();
  const int64_t dims = std::min<int64_t>(l, 8);
  std::vector<double> z;
  for (int64_t r = 0; r < dims; ++r)
    for (int64_t c = 0; c < kColumns; ++c) {
      std::vector<double> point(mean.begin(), mean.begin() + l);
      point[static_cast<size_t>(r)] = -3.0 + 6.0 * static_cast<double>(c) / (kColumns - 1);
      z.insert(z.end(), point.begin(), point.end());
    }
  data::write_png(out / "traversal.png", grid(pixels(Var(Tensor::from(z, {dims * kColumns, l}))), dims * kColumns, plan.image));
  for (const char* name : {"samples.png", "reconstructions.png", "traversal.png"}) std::cout << (out / name).string() << "\n";
  return 0;
}

const CommandRegistrar kSample("sample", "PNG grids of a VAE checkpoint: samples, reconstructions, a latent traversal",
                               sample_command);

}  // namespace
}  // namespace cz::cli
