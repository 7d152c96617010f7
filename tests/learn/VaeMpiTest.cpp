// The VAE's step at any rank count: each rank's rows get the reparameterization noise of their
// global slots, so the per-row losses and the reduced gradient on P ranks equal one process
// running the whole batch.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/dist/GradientReducer.hpp"
#include "cezanne/dist/TaskPartition.hpp"
#include "cezanne/learn/Vae.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "dist/MpiTestMain.hpp"

namespace cz::learn {
namespace {

using dist::test::world;

constexpr int64_t kRows = 6;  // 4 ranks own 2, 2, 1, 1 rows

data::TaskBatch rows_of(const std::vector<int64_t>& slots) {
  data::TaskBatch b;
  std::vector<Tensor> inputs;
  for (const int64_t s : slots)  // row s's examples, the same whichever rank draws them
    inputs.push_back(Tensor::uniform({1, 5, 1, 4, 4}, 0, 1, 100 + static_cast<uint64_t>(s), 0, DType::f64));
  b.inputs = slots.empty() ? Tensor::zeros({0, 5, 1, 4, 4}, DType::f64) : cat(inputs, 0);
  b.slots = slots;
  b.step = 11;
  return b;
}

TEST(VaeMpi, LossesAndGradientEqualOneProcess) {
  const Vae vae(VaeSpec{16, 8, 3, Likelihood::bernoulli, 1.0, 10});
  std::vector<int64_t> all(kRows);
  for (int64_t s = 0; s < kRows; ++s) all[static_cast<size_t>(s)] = s;

  // One process: every row, the gradient of the mean row loss.
  nn::Params whole(vae.specs(), DType::f64);
  whole.initialize(5);
  const Var reference = vae.losses(whole.list(), rows_of(all), 3);
  (sum(reference) * (1.0 / kRows)).backward();
  const std::vector<double> reference_losses = reference.data().to_vector();
  const std::vector<double> reference_grad = whole.flat_grad().to_vector();

  // This rank's rows, then the reducer.
  nn::Params mine(vae.specs(), DType::f64);
  mine.initialize(5);
  const std::vector<int64_t> slots = owned_tasks(kRows, world().rank(), world().size());
  std::vector<double> local;
  if (!slots.empty()) {
    const Var losses = vae.losses(mine.list(), rows_of(slots), 3);
    sum(losses).backward();
    local = losses.data().to_vector();
  }
  dist::GradientReducer(world()).reduce(mine.flat_grad(), kRows);
  std::vector<double> gathered(kRows);
  world().allgatherv(local.data(), gathered.data(), world().allgather_counts(local.size()), dist::DataType::f64);

  for (int64_t s = 0; s < kRows; ++s)
    EXPECT_NEAR(gathered[static_cast<size_t>(s)], reference_losses[static_cast<size_t>(s)], 1e-12) << "row " << s;
  const std::vector<double> grad = mine.flat_grad().to_vector();
  ASSERT_EQ(grad.size(), reference_grad.size());
  for (size_t k = 0; k < grad.size(); ++k)
    EXPECT_NEAR(grad[k], reference_grad[k], 1e-12 * (1 + std::abs(reference_grad[k]))) << "element " << k;
}

}  // namespace
}  // namespace cz::learn

CZ_MPI_TEST_MAIN()
