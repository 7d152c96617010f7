// Differentiable allgather and allreduce-sum (cross-rank contrastive negatives).
#include "cezanne/learn/Allgather.hpp"

#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Shape.hpp"

namespace cz::learn {

Var allreduce_sum(Collectives& ranks, const Var& x) {
  Collectives* c = &ranks;
  return record("allreduce_sum", ranks.sum(x.data()), {x},
                [c](const Var& grad, const SavedContext&) {
                  // grad: [same shape as x]; every rank's loss saw the same sum, so x gets all of
                  // them.
                  return std::vector<Var>{allreduce_sum(*c, grad)};
                });
}

Var allgather(Collectives& ranks, const Var& local) {
  const GatheredRows gathered = ranks.gather_rows(local.data());
  const int64_t first = gathered.first, n = local.data().size(0);
  Collectives* c = &ranks;
  return record("allgather", gathered.rows, {local},
                [c, first, n](const Var& grad, const SavedContext&) {
                  // grad: [sum_r n_r, d] from this rank's loss; summed over ranks it is the
                  // gradient of the total loss, of which this rank's rows [first, first + n) are
                  // ours.
                  return std::vector<Var>{slice(allreduce_sum(*c, grad), 0, first, first + n)};
                });
}

}  // namespace cz::learn
