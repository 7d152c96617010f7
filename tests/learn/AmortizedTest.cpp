// The amortized learners (neural process, VERSA-style head): the KL term against Monte Carlo,
// gradients against finite differences, the losses by hand, noise deterministic for a seed, predictive
// distributions (versa's: the exact average over heads, against sampled heads), learning on a
// fixed problem, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <numbers>

#include "LearnFixtures.hpp"
#include "autograd/GradCheck.hpp"
#include "learn/LearnDetail.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/Gaussian.hpp"
#include "cezanne/learn/NeuralProcess.hpp"
#include "cezanne/learn/SinusoidTasks.hpp"
#include "cezanne/learn/Versa.hpp"
#include "cezanne/nn/MLP.hpp"

namespace cz::learn {
namespace {

LearnerConfig np_config(int samples = 3) {
  LearnerConfig c = testing::sinusoid_config("neural_process");
  c.hidden = 6;
  c.samples = samples;
  c.sample_seed = 7;
  return c;
}

LearnerConfig versa_config(std::shared_ptr<const nn::Model> model, int samples = 3, int64_t ways = 3) {
  LearnerConfig c;
  c.algorithm = "versa";
  c.model = std::move(model);
  c.ways = ways;
  c.samples = samples;
  c.sample_seed = 7;
  return c;
}

data::EpisodeBatch sinusoids(DType dtype, int64_t step = 2) {
  const SinusoidTasks tasks({.shots = 5, .queries = 4}, 11);
  data::EpisodeBatch b = tasks.sample_batch(step, {0, 1});
  for (Tensor* t : {&b.support, &b.support_labels, &b.query, &b.query_labels}) *t = t->to(dtype);
  return b;
}

TEST(Gaussian, KlEqualsItsMonteCarloEstimate) {
  const Tensor mq = Tensor::from({0.3, -1.0, 2.0}, {3}, DType::f64), sq = Tensor::from({0.5, 1.2, 0.8}, {3}, DType::f64);
  const Tensor mp = Tensor::from({0.0, -0.5, 1.0}, {3}, DType::f64), sp = Tensor::from({1.0, 0.7, 2.0}, {3}, DType::f64);
  const double kl = sum(gaussian_kl(Var(mq), Var(sq), Var(mp), Var(sp))).item();
  // E_q[log q(x) - log p(x)] over 200000 draws x = mq + sq * eps.
  const int64_t n = 200000;
  const Tensor eps = Tensor::normal({n, 3}, 0, 1, 99, 0, DType::f64);
  const Var x = Var(mq) + Var(sq) * Var(eps);
  const Var log_ratio = gaussian_log_density(x, Var(mq), Var(sq)) - gaussian_log_density(x, Var(mp), Var(sp));
  const std::vector<double> r = sum(log_ratio, {1}).data().to_vector();
  double mean = 0, squares = 0;
  for (const double v : r) mean += v / n;
  for (const double v : r) squares += (v - mean) * (v - mean) / n;
  const double standard_error = std::sqrt(squares / n);
  EXPECT_NEAR(mean, kl, 4 * standard_error);
  EXPECT_LT(standard_error, 0.01);
  // By hand, dimension 0: log(1/0.5) + (0.25 + 0.09) / 2 - 1/2.
  EXPECT_NEAR(gaussian_kl(Var(mq), Var(sq), Var(mp), Var(sp)).data().to_vector()[0],
              std::log(2.0) + 0.34 / 2 - 0.5, 1e-14);
  EXPECT_NEAR(gaussian_log_density(Var(Tensor::from({1.0}, {1}, DType::f64)), Var(Tensor::from({0.0}, {1}, DType::f64)),
                                   Var(Tensor::from({2.0}, {1}, DType::f64)))
                  .item(),
              -0.5 * std::log(2 * std::numbers::pi) - std::log(2.0) - 0.125, 1e-14);
}

TEST(Gaussian, KlIsZeroForEqualDistributionsAndItsGradientsMatchFiniteDifferences) {
  const Tensor m = Tensor::from({0.3, -1.0}, {2}, DType::f64), s = Tensor::from({0.5, 1.2}, {2}, DType::f64);
  EXPECT_NEAR(sum(gaussian_kl(Var(m), Var(s), Var(m), Var(s))).item(), 0.0, 1e-15);
  const std::vector<double> point{0.3, 0.5, -0.2, 1.3};
  auto kl = [](const std::vector<double>& p) {
    auto v = [](double x) { return Var(Tensor::from({x}, {1}, DType::f64), true); };
    return gaussian_kl(v(p[0]), v(p[1]), v(p[2]), v(p[3]));
  };
  std::vector<Var> inputs;
  for (const double x : point) inputs.emplace_back(Tensor::from({x}, {1}, DType::f64), true);
  const std::vector<Var> g = grad({sum(gaussian_kl(inputs[0], inputs[1], inputs[2], inputs[3]))}, inputs);
  for (size_t i = 0; i < point.size(); ++i) {
    std::vector<double> up = point, down = point;
    up[i] += 1e-6;
    down[i] -= 1e-6;
    EXPECT_NEAR(g[i].item(), (kl(up).item() - kl(down).item()) / 2e-6, 1e-7) << i;
  }
}

TEST(NeuralProcess, GradientsEqualFiniteDifferences) {
  // Width 16: at width 6 (and zero biases) some query point's first decoder layer is all off,
  // which puts the next layer's pre-activations exactly at relu's kink, where central differences
  // see half a slope.
  LearnerConfig c = np_config();
  c.hidden = 16;
  testing::check_gradient(*make_learner(c), sinusoids(DType::f64));
}

TEST(Versa, GradientsEqualFiniteDifferences) {
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{4, 6, 6, 3});
  testing::check_gradient(*make_learner(versa_config(mlp)), testing::vector_batch(2, 3, 4, 1, DType::f64));
}

TEST(NeuralProcess, NoiseIsAPureFunctionOfSeedStepAndTask) {
  const auto learner = make_learner(np_config());
  nn::Params params(learner->specs(), DType::f64);
  params.initialize(5);
  const std::vector<double> a = learner->task_losses(params.list(), sinusoids(DType::f64)).data().to_vector();
  EXPECT_EQ(learner->task_losses(params.list(), sinusoids(DType::f64)).data().to_vector(), a);
  // The same tasks at another step are other sinusoids; the same episode under another step's
  // noise gives another loss.
  data::EpisodeBatch moved = sinusoids(DType::f64);
  moved.step = 3;
  EXPECT_NE(learner->task_losses(params.list(), moved).data().to_vector()[0], a[0]);
  LearnerConfig other = np_config();
  other.sample_seed = 8;
  EXPECT_NE(make_learner(other)->task_losses(params.list(), sinusoids(DType::f64)).data().to_vector()[0], a[0]);
}

TEST(NeuralProcess, PredictionsAreTheMixtureMomentsAndDeterministic) {
  const auto learner = make_learner(np_config(5));
  nn::Params params(learner->specs(), DType::f64);
  params.initialize(5);
  const data::EpisodeBatch b = sinusoids(DType::f64);
  const Tensor sx = b.support.select(0, 0), sy = b.support_labels.select(0, 0), qx = b.query.select(0, 0);
  const Predictive p = learner->predict_distribution(params.list(), sx, sy, qx);
  ASSERT_EQ(p.mean.shape(), (Shape{4, 1}));
  ASSERT_EQ(p.variance.shape(), (Shape{4, 1}));
  EXPECT_FALSE(p.probabilities.defined());
  const Predictive again = learner->predict_distribution(params.list(), sx, sy, qx);
  EXPECT_EQ(again.mean.to_vector(), p.mean.to_vector());
  EXPECT_EQ(again.variance.to_vector(), p.variance.to_vector());
  EXPECT_EQ(learner->predict(params.list(), sx, sy, qx).to_vector(), p.mean.to_vector());
  // The moments by hand from the decoder's per-sample Gaussians under the prediction noise.
  const auto& np = dynamic_cast<const NeuralProcess&>(*learner);
  const auto [zm, zs] = np.posterior(params.list(), sx.unsqueeze(0), sy.unsqueeze(0));
  const Tensor noise = task_noise({5, 6}, 7, kPredictionStream, {0}, DType::f64, Device::cpu());
  const auto [mu, sigma] = np.decode(params.list(), sx.unsqueeze(0), sy.unsqueeze(0), qx.unsqueeze(0),
                                     unsqueeze(zm, 1) + unsqueeze(zs, 1) * Var(noise));
  for (int64_t q = 0; q < 4; ++q) {
    double m = 0, second = 0;
    for (int64_t s = 0; s < 5; ++s) {
      const double u = mu.data().at({0, s, q}), v = sigma.data().at({0, s, q});
      m += u / 5;
      second += (v * v + u * u) / 5;
    }
    EXPECT_NEAR(p.mean.at({q, 0}), m, 1e-12);
    EXPECT_NEAR(p.variance.at({q, 0}), second - m * m, 1e-12);
  }
}

// A task's loss by hand: the ELBO per query point (latents from q(z | D_tr ∪ D_ts), the KL to
// q(z | D_tr)) plus the predictive term, -log of the density averaged over latents from
// q(z | D_tr) on the support stream.
TEST(NeuralProcess, LossIsTheElboPlusThePredictiveTerm) {
  const int64_t tasks = 2, queries = 4, samples = 3, h = 6;
  const auto learner = make_learner(np_config(samples));
  nn::Params params(learner->specs(), DType::f64);
  params.initialize(5);
  const data::EpisodeBatch b = sinusoids(DType::f64);
  const std::vector<double> losses = learner->task_losses(params.list(), b).data().to_vector();
  const auto& np = dynamic_cast<const NeuralProcess&>(*learner);
  const Tensor all_x = cz::cat(std::vector<Tensor>{b.support, b.query}, 1);
  const Tensor all_y = cz::cat(std::vector<Tensor>{b.support_labels, b.query_labels}, 1);
  const auto [prior_mean, prior_std] = np.posterior(params.list(), b.support, b.support_labels);
  const auto [post_mean, post_std] = np.posterior(params.list(), all_x, all_y);
  const std::vector<int64_t> keys = task_keys(b.task_indices, tasks);
  auto decode = [&](const Var& mean, const Var& std, int64_t stream) {
    const Tensor noise = task_noise({samples, h}, 7, stream, keys, DType::f64, Device::cpu());
    const auto [mu, sigma] = np.decode(params.list(), b.support, b.support_labels, b.query,
                                       unsqueeze(mean, 1) + unsqueeze(std, 1) * Var(noise));
    return std::make_pair(mu.data(), sigma.data());  // [T, S, Q]
  };
  const auto [mu, sigma] = decode(post_mean, post_std, b.step);
  const auto [mu_support, sigma_support] = decode(prior_mean, prior_std, support_stream(b.step));
  auto density = [](double y, double m, double s) {
    return std::exp(-0.5 * (y - m) * (y - m) / (s * s)) / (s * std::sqrt(2 * std::numbers::pi));
  };
  for (int64_t t = 0; t < tasks; ++t) {
    double nll = 0, kl = 0, predictive = 0;
    for (int64_t q = 0; q < queries; ++q) {
      const double y = b.query_labels.at({t, q, 0});
      double averaged = 0;
      for (int64_t s = 0; s < samples; ++s) {
        nll -= std::log(density(y, mu.at({t, s, q}), sigma.at({t, s, q}))) / (samples * queries);
        averaged += density(y, mu_support.at({t, s, q}), sigma_support.at({t, s, q})) / samples;
      }
      predictive -= std::log(averaged) / queries;
    }
    for (int64_t j = 0; j < h; ++j) {
      const double mq = post_mean.data().at({t, j}), sq = post_std.data().at({t, j});
      const double mp = prior_mean.data().at({t, j}), sp = prior_std.data().at({t, j});
      kl += std::log(sp / sq) + (sq * sq + (mq - mp) * (mq - mp)) / (2 * sp * sp) - 0.5;
    }
    EXPECT_NEAR(losses[static_cast<size_t>(t)], nll + kl / queries + predictive, 1e-10) << t;
  }
}

// The prediction: per class, the heads' density of the query averaged over q(. | D_tr)
// (predictive_logits of posterior()), normalized over the classes; exact, so the sampling seed
// does not change it.
TEST(Versa, PredictionIsTheClassPosteriorOfTheAveragedHeads) {
  auto conv = std::make_shared<nn::Conv4>(4, 1, 16, 3);
  const auto learner = make_learner(versa_config(conv, 4));
  const auto& versa = dynamic_cast<const Versa&>(*learner);
  nn::Params params(learner->specs(), DType::f64);
  params.initialize(3);
  const data::EpisodeBatch b = testing::image_batch(2, 41, 7);
  const Tensor s = b.support.select(0, 0), sl = b.support_labels.select(0, 0), q = b.query.select(0, 0);
  const nn::ParamList body(params.list().begin(), params.list().begin() + static_cast<std::ptrdiff_t>(conv->head_begin()));
  const auto [se, qe] = detail::embed_sets(*conv, body, s.unsqueeze(0), q.unsqueeze(0));
  const auto [mean, std] = versa.posterior(params.list(), se, sl.unsqueeze(0));
  const Tensor expected = softmax(predictive_logits(qe, mean, std), 2).data().select(0, 0);
  const Predictive p = learner->predict_distribution(params.list(), s, sl, q);
  ASSERT_EQ(p.probabilities.shape(), (Shape{6, 3}));
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_NEAR(p.probabilities.at({i, 0}) + p.probabilities.at({i, 1}) + p.probabilities.at({i, 2}), 1.0, 1e-12);
    for (int64_t c = 0; c < 3; ++c) EXPECT_NEAR(p.probabilities.at({i, c}), expected.at({i, c}), 1e-12) << i << " " << c;
  }
  EXPECT_NEAR(std::exp(learner->predict(params.list(), s, sl, q).at({2, 1})), p.probabilities.at({2, 1}), 1e-12);
  LearnerConfig other = versa_config(conv, 4);
  other.sample_seed = 8;
  EXPECT_EQ(make_learner(other)->predict_distribution(params.list(), s, sl, q).probabilities.to_vector(),
            p.probabilities.to_vector());
}

// predictive_logits is the average over sampled heads of exp(head_logits), in closed form:
// against 200000 heads, and as the heads' spread goes to 0, head_logits of the mean head.
TEST(Versa, PredictiveLogitsAreTheAverageOverSampledHeads) {
  const int64_t queries = 2, ways = 2, d = 3, samples = 200000;
  const Tensor e = Tensor::uniform({1, queries, d}, -1.0, 1.0, 3, 0, DType::f64);
  const Tensor mean = Tensor::uniform({1, ways, d}, -1.0, 1.0, 4, 0, DType::f64);
  const Tensor std = Tensor::uniform({1, ways, d}, 0.2, 0.8, 5, 0, DType::f64);
  const Tensor noise = Tensor::normal({1, samples, ways, d}, 0, 1, 6, 0, DType::f64);
  const Var heads = unsqueeze(Var(mean), 1) + unsqueeze(Var(std), 1) * Var(noise);  // [1, S, ways, D]
  const Tensor sampled = logsumexp(head_logits(Var(e), heads), 2).data();              // [1, Q, ways] + log S
  const Tensor exact = predictive_logits(Var(e), Var(mean), Var(std)).data();
  for (int64_t i = 0; i < queries; ++i)
    for (int64_t c = 0; c < ways; ++c)
      EXPECT_NEAR(sampled.at({0, i, c}) - std::log(static_cast<double>(samples)), exact.at({0, i, c}), 0.01) << i << " " << c;
  const Tensor sharp = predictive_logits(Var(e), Var(mean), Var(Tensor::full({1, ways, d}, 1e-9, DType::f64))).data();
  const Tensor plug_in = select(head_logits(Var(e), unsqueeze(Var(mean), 1)), 2, 0).data();
  for (int64_t i = 0; i < queries; ++i)
    for (int64_t c = 0; c < ways; ++c) EXPECT_NEAR(sharp.at({0, i, c}), plug_in.at({0, i, c}), 1e-12);
}

TEST(Versa, PredictiveLogitsHaveFirstAndSecondDerivatives) {
  const auto f = [](const std::vector<Var>& x) { return predictive_logits(x[0], x[1], x[2]); };
  const std::vector<Tensor> xs = {cz::testing::random_f64({2, 3, 4}, 1), cz::testing::random_f64({2, 2, 4}, 2),
                                  cz::testing::random_f64({2, 2, 4}, 3, 0.2, 1.5)};
  cz::testing::gradcheck(f, xs, "predictive_logits");
  cz::testing::gradgradcheck(f, xs, "predictive_logits");
}

// A task's loss by hand: the ELBO per query (heads from q(. | D_tr ∪ D_ts), the KL to
// q(. | D_tr)) plus the predictive term, -log of the prediction's probability of the label.
TEST(Versa, LossIsTheElboPlusThePredictiveTerm) {
  const int64_t tasks = 2, ways = 3, samples = 3;
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{4, 6, 6, 3});
  const auto learner = make_learner(versa_config(mlp, samples, ways));
  const auto& versa = dynamic_cast<const Versa&>(*learner);
  nn::Params params(learner->specs(), DType::f64);
  params.initialize(5);
  const data::EpisodeBatch b = testing::vector_batch(tasks, ways, 4, 1, DType::f64);
  const std::vector<double> losses = learner->task_losses(params.list(), b).data().to_vector();
  const nn::ParamList body(params.list().begin(), params.list().begin() + static_cast<std::ptrdiff_t>(mlp->head_begin()));
  const auto [se, qe] = detail::embed_sets(*mlp, body, b.support, b.query);
  const auto [prior_mean, prior_std] = versa.posterior(params.list(), se, b.support_labels);
  const auto [post_mean, post_std] = versa.posterior(
      params.list(), cat({se, qe}, 1), cz::cat(std::vector<Tensor>{b.support_labels, b.query_labels}, 1));
  const int64_t d = se.size(2), queries = qe.size(1);
  const Tensor noise = task_noise({samples, ways, d}, 7, b.step, task_keys(b.task_indices, tasks), DType::f64, Device::cpu());
  const Tensor heads = (unsqueeze(post_mean, 1) + unsqueeze(post_std, 1) * Var(noise)).data();  // [T, S, ways, D]
  const Tensor predictive = log_softmax(predictive_logits(qe, prior_mean, prior_std), 2).data();
  const Tensor e = qe.data();
  for (int64_t t = 0; t < tasks; ++t) {
    double nll = 0, kl = 0, predictive_term = 0;
    for (int64_t i = 0; i < queries; ++i) {
      const int64_t y = static_cast<int64_t>(b.query_labels.at({t, i}));
      for (int64_t k = 0; k < samples; ++k) {
        std::vector<double> logit(static_cast<size_t>(ways));
        double z = 0;
        for (int64_t c = 0; c < ways; ++c) {
          for (int64_t j = 0; j < d; ++j) {
            const double diff = e.at({t, i, j}) - heads.at({t, k, c, j});
            logit[static_cast<size_t>(c)] -= diff * diff;
          }
          z += std::exp(logit[static_cast<size_t>(c)]);
        }
        nll -= (logit[static_cast<size_t>(y)] - std::log(z)) / (samples * queries);
      }
      predictive_term -= predictive.at({t, i, y}) / queries;
    }
    for (int64_t c = 0; c < ways; ++c)
      for (int64_t j = 0; j < d; ++j) {
        const double mq = post_mean.data().at({t, c, j}), sq = post_std.data().at({t, c, j});
        const double mp = prior_mean.data().at({t, c, j}), sp = prior_std.data().at({t, c, j});
        kl += std::log(sp / sq) + (sq * sq + (mq - mp) * (mq - mp)) / (2 * sp * sp) - 0.5;
      }
    EXPECT_NEAR(losses[static_cast<size_t>(t)], nll + kl / queries + predictive_term, 1e-10) << t;
  }
}

TEST(Versa, MeanHeadStartsAsProtoNets) {
  auto conv = std::make_shared<nn::Conv4>(4, 1, 16, 3);
  LearnerConfig pc = versa_config(conv);
  pc.algorithm = "protonet";
  const auto versa = make_learner(versa_config(conv));
  const auto proto = make_learner(pc);
  nn::Params params(versa->specs(), DType::f64);
  params.initialize(3);
  const data::EpisodeBatch b = testing::image_batch(2, 41, 7);
  Metrics mv, mp;
  versa->task_losses(params.list(), b, &mv);
  proto->task_losses(nn::ParamList(params.list().begin(), params.list().begin() + conv->head_begin()), b, &mp);
  EXPECT_DOUBLE_EQ(mv.accuracy, mp.accuracy);
}

TEST(Amortized, LossFallsOnAFixedProblem) {
  const testing::TrainResult np = testing::train_on(*make_learner(np_config()), sinusoids(DType::f32), 1, 0.01, 60);
  EXPECT_LT(np.last.loss, np.first.loss - 0.2);
  // The set-up of MetricLearners.LossFallsOnAFixedProblem.
  auto mlp = std::make_shared<nn::MLP>(std::vector<int64_t>{8, 32, 16, 5});
  const testing::TrainResult versa =
      testing::train_on(*make_learner(versa_config(mlp, 3, 5)), testing::vector_batch(4, 5, 8, 9, DType::f32), 8, 0.01, 60);
  EXPECT_LT(versa.last.loss, 0.5 * versa.first.loss) << versa.first.loss << " -> " << versa.last.loss;
  EXPECT_GE(versa.last.accuracy, 0.9);
}

TEST(Amortized, BadInputGivesClearErrors) {
  LearnerConfig c = np_config();
  c.samples = 0;
  testing::expect_invalid_argument([&] { make_learner(c); }, "neural_process: samples must be >= 1, got 0");
  c = np_config();
  c.loss = Loss::cross_entropy;
  testing::expect_invalid_argument([&] { make_learner(c); },
                                   "neural_process: regression only (sinusoid tasks, --model mlp)");
  c = versa_config(std::make_shared<nn::Conv4>(4, 1, 16, 3));
  c.beta = -1;
  testing::expect_invalid_argument([&] { make_learner(c); }, "versa: beta must be >= 0, got -1.000000");
  c = versa_config(std::make_shared<nn::Conv4>(4, 1, 16, 3));
  c.loss = Loss::mse;
  testing::expect_invalid_argument([&] { make_learner(c); },
                                   "versa: classification only (a metric learner has no regression output)");
}

}  // namespace
}  // namespace cz::learn
