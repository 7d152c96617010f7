// The registry of algorithms: one entry per name, real options, and factories that make what
// they are called.
#include "cezanne/learn/Algorithms.hpp"

#include <gtest/gtest.h>

#include <set>

#include "cezanne/nn/Conv4.hpp"
#include "cezanne/train/TrainConfig.hpp"

namespace cz::learn {
namespace {

TEST(Algorithms, EveryNameOnceAndEveryOptionAnOptionOfTrain) {
  std::set<std::string> names, options;
  for (const train::TrainOption& o : train::train_options()) options.insert(o.name);
  for (const Algorithm& a : algorithms()) {
    EXPECT_TRUE(names.insert(a.name).second) << a.name << " twice";
    EXPECT_FALSE(a.summary.empty()) << a.name;
    for (const std::string& o : a.options) EXPECT_TRUE(options.count(o)) << a.name << ": --" << o << " is no option";
  }
  EXPECT_EQ(algorithm_names(), "maml, fomaml, anil, protonet, matching, siamese, mann, set_encoder, versa, neural_process, pretrain, multitask, vae, "
            "triplet, nt_xent, moco, autoencoder, mae");
  EXPECT_EQ(algorithm_names(Algorithm::Kind::multitask), "multitask");
  // The options of every run belong to no algorithm; an algorithm's own do.
  for (const char* general : {"algo", "store", "steps", "lr", "seed", "out", "meta-batch", "filters", "freeze"})
    EXPECT_FALSE(is_algorithm_option(general)) << general;
  for (const char* own : {"inner-lr", "ways", "conditioning", "memory", "matching-scale", "samples"})
    EXPECT_TRUE(is_algorithm_option(own)) << own;
  EXPECT_EQ(find_algorithm("reptile"), nullptr);
}

TEST(Algorithms, EachEpisodicFactoryMakesTheLearnerOfItsName) {
  for (const Algorithm& a : algorithms()) {
    if (a.kind != Algorithm::Kind::episodic) {
      EXPECT_FALSE(a.make) << a.name;
      continue;
    }
    LearnerConfig c;
    c.algorithm = a.name;
    c.model = std::make_shared<nn::Conv4>(4, 1, 16, 5);
    c.ways = 5;
    if (a.regression_only) c.loss = Loss::mse;
    EXPECT_EQ(make_learner(c)->name(), a.name);
    EXPECT_EQ(a.inner_loop, a.name == "maml" || a.name == "fomaml" || a.name == "anil") << a.name;
  }
  LearnerConfig c;
  c.algorithm = "multitask";
  c.model = std::make_shared<nn::Conv4>(4, 1, 16, 5);
  try {
    make_learner(c);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "make_learner: unknown algorithm 'multitask' (known: maml, fomaml, anil, "
                                     "protonet, matching, siamese, mann, set_encoder, versa, neural_process, pretrain)");
  }
}

}  // namespace
}  // namespace cz::learn
