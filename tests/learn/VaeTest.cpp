// The VAE's mathematics: ELBO gradient, analytic KL, the k-sample bound, and a linear Gaussian
// model whose exact log-likelihood the bounds are checked against.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "autograd/GradCheck.hpp"
#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/learn/Vae.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::learn {
namespace {

VaeSpec small(Likelihood likelihood) {
  VaeSpec s;
  s.inputs = 6;
  s.hidden = 5;
  s.latent = 3;
  s.likelihood = likelihood;
  s.beta = 0.7;
  return s;
}

// With these seeds one sample's hidden layer is dead (every relu off), so its logits are exactly
// 0: the softplus there must have the derivative sigmoid(0) = 1/2, not a subgradient.
TEST(Vae, ElboGradientMatchesFiniteDifferences) {
  for (const Likelihood likelihood : {Likelihood::bernoulli, Likelihood::gaussian}) {
    const Vae vae(small(likelihood));
    nn::Params params(vae.specs(), DType::f64);
    params.initialize(3);
    std::vector<Tensor> theta;
    for (size_t i = 0; i < params.size(); ++i) theta.push_back(params[i].data().clone());
    if (likelihood == Likelihood::gaussian)  // away from zero, so that its gradient is not trivial
      theta.back() = Tensor::uniform({6}, -0.5, 0.5, 8, 0, DType::f64);
    const Tensor x = Tensor::uniform({4, 6}, 0.0, 1.0, 5, 0, DType::f64);
    const Tensor eps = Tensor::normal({2, 4, 3}, 0.0, 1.0, 7, 0, DType::f64);
    cz::testing::gradcheck([&](const std::vector<Var>& p) { return vae.elbo(p, Var(x), eps, 0.7); }, theta,
                           std::string("elbo ") + likelihood_name(likelihood));
  }
}

VaeSpec convolutional() {
  VaeSpec s;
  s.convolutional = true;
  s.filters = 2;
  s.channels = 1;
  s.image = 16;
  s.inputs = 256;
  s.latent = 2;
  s.beta = 0.7;
  return s;
}

TEST(Vae, ConvolutionalElboGradientMatchesFiniteDifferences) {
  const Vae vae(convolutional());
  nn::Params params(vae.specs(), DType::f64);
  params.initialize(6);
  std::vector<Tensor> theta;
  // Biases away from zero: a unit whose inputs are all off would otherwise sit exactly at its
  // relu's kink, where central differences see 1/2 and the gradient (rightly) a subgradient.
  for (size_t i = 0; i < params.size(); ++i)
    theta.push_back(params[i].shape().size() == 1
                        ? Tensor::uniform(params[i].shape(), 0.05, 0.2, 20 + i, 0, DType::f64)
                        : params[i].data().clone());
  const Tensor x = Tensor::uniform({2, 256}, 0.0, 1.0, 5, 0, DType::f64);
  const Tensor eps = Tensor::normal({2, 2, 2}, 0.0, 1.0, 7, 0, DType::f64);
  cz::testing::gradcheck([&](const std::vector<Var>& p) { return vae.elbo(p, Var(x), eps, 0.7); }, theta,
                         "convolutional elbo");
}

TEST(Vae, ConvolutionalEncoderHasConv4sNamesAndTheDecoderUpsamples) {
  const Vae vae(convolutional());
  const std::vector<nn::ParamSpec> specs = vae.specs();
  EXPECT_EQ(specs[0].name, "block0.conv.weight");
  EXPECT_EQ(specs[0].shape, (Shape{2, 1, 3, 3}));
  EXPECT_EQ(specs[7].name, "block3.conv.bias");
  EXPECT_EQ(specs[8].name, "encoder.head.weight");
  EXPECT_EQ(specs[8].shape, (Shape{4, 2}));  // 2 filters x (16 / 16)^2 features -> mean, log-variance
  EXPECT_EQ(specs[10].shape, (Shape{2 * 4 * 4, 2}));  // decoder.fc: z -> 2 filters x (16 / 4)^2
  nn::Params params(vae.specs(), DType::f64);
  params.initialize(1);
  EXPECT_EQ(vae.decode(params.list(), Var(Tensor::zeros({3, 5, 2}, DType::f64))).shape(), (Shape{3, 5, 256}));
  VaeSpec odd = convolutional();
  odd.image = 18;
  odd.inputs = 324;
  EXPECT_THROW(Vae{odd}, std::invalid_argument);
}

TEST(Vae, TheEmbeddingIsTheEncodersMean) {
  for (const VaeSpec& spec : {small(Likelihood::bernoulli), convolutional()}) {
    const Vae vae(spec);
    nn::Params params(vae.specs(), DType::f64);
    params.initialize(2);
    const int64_t side = spec.convolutional ? spec.image : 1;
    const Tensor images = Tensor::uniform({3, 1, side, spec.inputs / side}, 0.0, 1.0, 4, 0, DType::f64);
    const Var mean = vae.encode(params.list(), Var(images.reshape({3, spec.inputs}))).mean;
    const Tensor embedding = vae.embed(params.list(), images).data();
    ASSERT_EQ(embedding.shape(), (Shape{3, spec.latent}));
    EXPECT_EQ(embedding.to_vector(), mean.data().to_vector());
  }
}

TEST(Vae, AnalyticKlMatchesMonteCarlo) {
  const std::vector<double> mean{0.3, -1.2, 0.8}, log_variance{-0.5, 0.4, -1.5};
  const double kl = gaussian_kl(Var(Tensor::from(mean, {1, 3}, DType::f64)),
                                Var(Tensor::from(log_variance, {1, 3}, DType::f64)))
                        .item();
  // E_q[log q(z) - log p(z)] with z = mean + sigma * eps.
  const int64_t n = 200000;
  const std::vector<double> eps = Tensor::normal({n, 3}, 0.0, 1.0, 11, 0, DType::f64).to_vector();
  double total = 0.0, squares = 0.0;
  for (int64_t s = 0; s < n; ++s) {
    double v = 0.0;
    for (int j = 0; j < 3; ++j) {
      const double e = eps[static_cast<size_t>(3 * s + j)];
      const double z = mean[j] + std::exp(0.5 * log_variance[j]) * e;
      v += -0.5 * (e * e + log_variance[j]) + 0.5 * z * z;
    }
    total += v;
    squares += v * v;
  }
  const double estimate = total / n, stderr_ = std::sqrt((squares / n - estimate * estimate) / n);
  EXPECT_NEAR(kl, 0.5 * (0.09 + 1.44 + 0.64 + std::exp(-0.5) + std::exp(0.4) + std::exp(-1.5) - 3 + 0.5 - 0.4 + 1.5), 1e-12);
  EXPECT_NEAR(estimate, kl, 4 * stderr_);
  EXPECT_LT(stderr_, 0.01);
}

TEST(Vae, ImportanceWeightedBoundIsAboveTheElboAndRisesWithK) {
  VaeSpec spec = small(Likelihood::bernoulli);
  spec.inputs = 16;
  const Vae vae(spec);
  nn::Params params(vae.specs(), DType::f64);
  params.initialize(4);
  const std::vector<int64_t> ks{1, 5, 50, 500};
  std::vector<double> iwae(ks.size(), 0.0);
  double elbo = 0.0;
  const int examples = 8;
  for (int i = 0; i < examples; ++i) {
    const Var x(Tensor::uniform({1, 16}, 0.0, 1.0, 100 + i, 0, DType::f64));
    for (size_t j = 0; j < ks.size(); ++j) {
      const auto [e, w] = vae.bounds(params.list(), x, ks[j], mix_key({9, static_cast<uint64_t>(i), static_cast<uint64_t>(ks[j])}));
      iwae[j] += w / examples;
      if (ks[j] == 500) {
        elbo += e / examples;
        EXPECT_GE(w, e) << "example " << i;
      }
    }
  }
  for (size_t j = 1; j < ks.size(); ++j) EXPECT_GT(iwae[j], iwae[j - 1]) << "k " << ks[j];
  EXPECT_GT(iwae.back(), elbo + 0.05);
}

// x = W z + b + noise, z ~ N(0, I), noise ~ N(0, s2 I): p(x) = N(b, W W^T + s2 I), and with
// orthogonal columns of W the posterior N(M (x - b), S) has a diagonal S = (I + W^T W / s2)^-1,
// M = S W^T / s2. The MLPs represent both exactly: relu(v) - relu(-v) = v.
class LinearGaussian : public ::testing::Test {
 protected:
  static constexpr int64_t kD = 4, kL = 2;
  const std::vector<double> w_{1, 0, 0, 2, 1, 0, 0, -1};  // [D, L], columns orthogonal
  const std::vector<double> b_{0.2, -0.1, 0.4, 0.0};
  const double s2_ = 0.5;
  Vae vae_{VaeSpec{kD, 2 * kD, kL, Likelihood::gaussian, 1.0, 1}};
  nn::Params params_{vae_.specs(), DType::f64};

  void SetUp() override { set_encoder(1.0, 0.0); }

  // The exact posterior's mean shifted by `shift` and its variance scaled by `scale`.
  void set_encoder(double scale, double shift) {
    std::vector<double> s(kL), m(kL * kD);
    for (int64_t j = 0; j < kL; ++j) {
      double wtw = 0.0;
      for (int64_t d = 0; d < kD; ++d) wtw += w_[d * kL + j] * w_[d * kL + j];
      s[j] = 1.0 / (1.0 + wtw / s2_);
      for (int64_t d = 0; d < kD; ++d) m[j * kD + d] = s[j] * w_[d * kL + j] / s2_;
    }
    std::vector<double> enc0(2 * kD * kD, 0.0), head(2 * kL * 2 * kD, 0.0), head_bias(2 * kL, 0.0);
    for (int64_t d = 0; d < kD; ++d) {
      enc0[d * kD + d] = 1.0;
      enc0[(kD + d) * kD + d] = -1.0;
    }
    for (int64_t j = 0; j < kL; ++j) {
      for (int64_t d = 0; d < kD; ++d) {
        head[j * 2 * kD + d] = m[j * kD + d];
        head[j * 2 * kD + kD + d] = -m[j * kD + d];
        head_bias[j] -= m[j * kD + d] * b_[d];
      }
      head_bias[j] += shift;
      head_bias[kL + j] = std::log(scale * s[j]);
    }
    std::vector<double> dec0(2 * kD * kL, 0.0), dec_head(kD * 2 * kD, 0.0);
    for (int64_t j = 0; j < kL; ++j) {
      dec0[j * kL + j] = 1.0;
      dec0[(kL + j) * kL + j] = -1.0;
      for (int64_t d = 0; d < kD; ++d) {
        dec_head[d * 2 * kD + j] = w_[d * kL + j];
        dec_head[d * 2 * kD + kL + j] = -w_[d * kL + j];
      }
    }
    set("encoder.layer0.weight", enc0);
    set("encoder.head.weight", head);
    set("encoder.head.bias", head_bias);
    set("decoder.layer0.weight", dec0);
    set("decoder.head.weight", dec_head);
    set("decoder.head.bias", b_);
    set("decoder.log_variance", std::vector<double>(kD, std::log(s2_)));
  }

  void set(const std::string& name, const std::vector<double>& values) {
    Tensor t = params_[name].data();
    t.copy_(Tensor::from(values, t.shape(), DType::f64));
  }

  // log N(x; b, W W^T + s2 I) by Gaussian elimination of the 4 x 4 covariance.
  double exact_log_likelihood(const std::vector<double>& x) const {
    std::vector<double> c(kD * kD), r(kD);
    for (int64_t i = 0; i < kD; ++i) {
      r[i] = x[i] - b_[i];
      for (int64_t k = 0; k < kD; ++k) {
        double v = i == k ? s2_ : 0.0;
        for (int64_t j = 0; j < kL; ++j) v += w_[i * kL + j] * w_[k * kL + j];
        c[i * kD + k] = v;
      }
    }
    std::vector<double> solved = r;
    double log_det = 0.0;
    for (int64_t p = 0; p < kD; ++p) {  // symmetric positive definite: no pivoting needed
      log_det += std::log(c[p * kD + p]);
      for (int64_t i = p + 1; i < kD; ++i) {
        const double f = c[i * kD + p] / c[p * kD + p];
        for (int64_t k = p; k < kD; ++k) c[i * kD + k] -= f * c[p * kD + k];
        solved[i] -= f * solved[p];
      }
    }
    for (int64_t i = kD - 1; i >= 0; --i) {
      for (int64_t k = i + 1; k < kD; ++k) solved[i] -= c[i * kD + k] * solved[k];
      solved[i] /= c[i * kD + i];
    }
    double quad = 0.0;
    for (int64_t i = 0; i < kD; ++i) quad += r[i] * solved[i];
    return -0.5 * (kD * std::log(2 * std::numbers::pi) + log_det + quad);
  }
};

TEST_F(LinearGaussian, TheExactPosteriorMakesEveryBoundTheLogLikelihood) {
  const std::vector<double> x{0.9, -0.6, 0.1, 1.3};
  const double exact = exact_log_likelihood(x);
  const Var input(Tensor::from(x, {1, kD}, DType::f64));
  for (const int64_t k : {1, 10, 1000}) {
    const auto [elbo, iwae] = vae_.bounds(params_.list(), input, k, 21);
    if (k == 1000) {
      EXPECT_NEAR(elbo, exact, 0.1);  // up to the estimate of E_q[log p(x|z)]
    }
    EXPECT_NEAR(iwae, exact, 1e-9) << "k " << k;  // every importance weight is p(x)
  }
}

TEST_F(LinearGaussian, BoundsOfAWrongPosteriorApproachTheLogLikelihoodFromBelow) {
  set_encoder(3.0, 0.8);
  const std::vector<double> x{0.9, -0.6, 0.1, 1.3};
  const double exact = exact_log_likelihood(x);
  const Var input(Tensor::from(x, {1, kD}, DType::f64));
  std::vector<double> iwae;
  double elbo = 0.0;
  for (const int64_t k : {1, 10, 100, 5000}) {
    double mean = 0.0;
    for (uint64_t key = 0; key < 20; ++key) {  // averaged over noise streams
      const auto [e, w] = vae_.bounds(params_.list(), input, k, mix_key({key, static_cast<uint64_t>(k)}));
      mean += w / 20;
      if (k == 5000) elbo += e / 20;
    }
    iwae.push_back(mean);
  }
  EXPECT_LT(elbo, exact - 0.5);
  for (size_t j = 1; j < iwae.size(); ++j) EXPECT_GT(iwae[j], iwae[j - 1]);
  EXPECT_LT(iwae.back(), exact + 0.01);
  EXPECT_LT(exact - iwae.back(), 0.05 * (exact - elbo));
}

TEST(Vae, TrainingNoiseIsKeyedByTheExampleNotTheRank) {
  const Vae vae(small(Likelihood::bernoulli));
  nn::Params params(vae.specs(), DType::f64);
  params.initialize(2);
  data::TaskBatch all;
  all.inputs = Tensor::uniform({4, 3, 1, 2, 3}, 0.0, 1.0, 1);
  all.slots = {0, 1, 2, 3};
  all.step = 5;
  NoGradGuard no_grad;
  const std::vector<double> whole = vae.losses(params.list(), all, 7).data().to_vector();
  EXPECT_EQ(whole, vae.losses(params.list(), all, 7).data().to_vector());  // deterministic
  // Rows 2 and 3 alone (another rank's share) get the same noise as in the whole batch.
  data::TaskBatch part = all;
  part.inputs = all.inputs.slice(0, 2, 4);
  part.slots = {2, 3};
  const std::vector<double> half = vae.losses(params.list(), part, 7).data().to_vector();
  EXPECT_NEAR(half[0], whole[2], 1e-12);
  EXPECT_NEAR(half[1], whole[3], 1e-12);
  EXPECT_NE(whole, vae.losses(params.list(), all, 8).data().to_vector());  // another seed
}

TEST(Vae, RefusesBadSizesAndWeights) {
  VaeSpec spec = small(Likelihood::bernoulli);
  spec.beta = -1;
  EXPECT_THROW(Vae{spec}, std::invalid_argument);
  spec = small(Likelihood::bernoulli);
  spec.iwae_samples = 0;
  EXPECT_THROW(Vae{spec}, std::invalid_argument);
  EXPECT_THROW(parse_likelihood("poisson"), std::invalid_argument);
}

}  // namespace
}  // namespace cz::learn
