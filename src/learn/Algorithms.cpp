// The registry of algorithms (learn/Algorithms.hpp): names, summaries, own options, factories.
#include "cezanne/learn/Algorithms.hpp"

#include <algorithm>

#include "cezanne/learn/BlackBox.hpp"
#include "cezanne/learn/Maml.hpp"
#include "cezanne/learn/MatchingNet.hpp"
#include "cezanne/learn/NeuralProcess.hpp"
#include "cezanne/learn/ProtoNet.hpp"
#include "cezanne/learn/SiameseNet.hpp"
#include "cezanne/learn/Versa.hpp"

namespace cz::learn {
namespace {

using Options = std::vector<std::string>;

Options join(std::initializer_list<Options> parts) {
  Options out;
  for (const Options& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Options kEpisodes{"ways", "shots", "queries", "within-domain", "shuffle-labels", "rotations", "val-episodes"};
const Options kInnerLoop{"inner-steps", "test-inner-steps", "inner-lr", "multi-step-loss", "zero-head"};
const Options kMetaRegularization{"meta-reg", "meta-reg-params", "meta-reg-scale"};
const Options kContrastive{"projection", "augment", "examples-per-task", "val-episodes", "split-by", "example-split"};

template <class Learner, class... Extra>
std::function<std::unique_ptr<EpisodicLearner>(const LearnerConfig&)> factory(Extra... extra) {
  return [=](const LearnerConfig& c) { return std::make_unique<Learner>(c, extra...); };
}

}  // namespace

const std::vector<Algorithm>& algorithms() {
  using K = Algorithm::Kind;
  static const std::vector<Algorithm> all{
      {"maml", "MAML: inner SGD steps on the support set, second-order meta-gradient", K::episodic, true,
       join({kEpisodes, kInnerLoop, kMetaRegularization}), factory<Maml>(Maml::Mode::full)},
      {"fomaml", "first-order MAML: the meta-gradient without the second-order term", K::episodic, true,
       join({kEpisodes, kInnerLoop, kMetaRegularization}),
       [](const LearnerConfig& c) {
         LearnerConfig first = c;
         first.first_order = true;
         return std::unique_ptr<EpisodicLearner>(std::make_unique<Maml>(first, Maml::Mode::full));
       }},
      {"anil", "ANIL: MAML adapting only the head", K::episodic, true,
       join({kEpisodes, kInnerLoop, kMetaRegularization}), factory<Maml>(Maml::Mode::head_only)},
      {"protonet", "prototypical networks: nearest class mean in the embedding", K::episodic, false, kEpisodes,
       factory<ProtoNet>()},
      {"matching", "matching networks: attention over the support set", K::episodic, false,
       join({kEpisodes, {"matching-scale"}}), factory<MatchingNet>()},
      {"siamese", "Siamese networks: pairwise same-class scores", K::episodic, false, kEpisodes, factory<SiameseNet>()},
      {"mann", "black-box: an LSTM over (x, previous label), optionally with an external memory", K::episodic,
       false, join({kEpisodes, {"hidden", "memory"}, kMetaRegularization}), factory<Mann>()},
      {"set_encoder", "black-box: averaged embeddings of the support set output the classifier", K::episodic,
       false, join({kEpisodes, kMetaRegularization}), factory<SetEncoder>()},
      {"versa", "amortized head: a Gaussian per class's prototype from its embeddings; a query's class by the heads' averaged densities",
       K::episodic, false, join({kEpisodes, {"samples", "beta"}}), factory<Versa>()},
      {"neural_process", "neural process (regression, --model mlp): deterministic and latent paths, Gaussian predictions",
       K::episodic, false, {"shots", "queries", "val-episodes", "hidden", "samples"}, factory<NeuralProcess>(), true},
      {"pretrain", "pre-train on all tasks, fine-tune the head at test", K::episodic, false,
       join({kEpisodes, {"inner-steps", "test-inner-steps", "inner-lr"}}), factory<Maml>(Maml::Mode::pretrain)},
      {"multitask", "multi-task learning: one network for many tasks (the writing systems of --store)",
       K::multitask, false,
       {"conditioning", "task-descriptor", "weighting", "task-weights", "worst-task-eta", "worst-task-decay",
        "examples-per-task", "task-sampling", "temperature", "example-split", "tasks"},
       {}},
      {"vae", "variational autoencoder on the unlabelled examples of --store's train classes (--model conv4 or mlp)",
       K::unlabelled, false, {"hidden", "latent", "beta", "likelihood", "iwae-samples", "examples-per-task", "val-episodes", "split-by",
        "example-split"},
       {}},
      {"triplet", "contrastive: triplet loss with a hinge margin on two views of unlabelled examples (anchor, positive view, negative example), hard-negative mining",
       K::unlabelled, false, join({{"margin", "mining", "negatives"}, kContrastive}), {}},
      {"nt_xent", "contrastive: SimCLR's multi-negative softmax with a temperature on two views of unlabelled examples",
       K::unlabelled, false, join({{"contrast-temperature", "negatives"}, kContrastive}), {}},
      {"moco", "contrastive: momentum contrast, a momentum key encoder and a queue of keys as negatives",
       K::unlabelled, false, join({{"contrast-temperature", "queue", "momentum"}, kContrastive}), {}},
      {"autoencoder", "convolutional autoencoder (--model conv4) with a --bottleneck, denoising with --noise: pixel MSE",
       K::unlabelled, false,
       {"bottleneck", "noise", "examples-per-task", "val-episodes", "split-by", "example-split"}, {}},
      {"mae", "masked autoencoder (--model vit): the encoder sees the visible patches, a light decoder predicts the masked ones' pixels",
       K::unlabelled, false,
       {"mask-ratio", "norm-pix", "decoder-dim", "decoder-depth", "examples-per-task", "val-episodes", "split-by",
        "example-split"},
       {}},
  };
  return all;
}

const Algorithm* find_algorithm(const std::string& name) {
  for (const Algorithm& a : algorithms())
    if (a.name == name) return &a;
  return nullptr;
}

std::string algorithm_names() {
  std::string out;
  for (const Algorithm& a : algorithms()) out += (out.empty() ? "" : ", ") + a.name;
  return out;
}

std::string algorithm_names(Algorithm::Kind kind) {
  std::string out;
  for (const Algorithm& a : algorithms())
    if (a.kind == kind) out += (out.empty() ? "" : ", ") + a.name;
  return out;
}

bool is_algorithm_option(const std::string& option) {
  for (const Algorithm& a : algorithms())
    if (std::find(a.options.begin(), a.options.end(), option) != a.options.end()) return true;
  return false;
}

}  // namespace cz::learn
