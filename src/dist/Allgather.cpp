// Differentiable allgather and allreduce-sum (cross-rank contrastive negatives).
#include "cezanne/dist/Allgather.hpp"

#include <string>

#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/dist/Log.hpp"

namespace cz::dist {
namespace {

DataType floating_type(const Tensor& t, const Communicator& comm, const char* what) {
  if (t.dtype() == DType::f32) return DataType::f32;
  if (t.dtype() == DType::f64) return DataType::f64;
  throw DistError(with_rank(comm.rank(), std::string(what) + ": needs f32 or f64, got " + dtype_name(t.dtype())));
}

void* data_or_null(const Tensor& t) { return t.numel() > 0 ? t.raw_data() : nullptr; }

}  // namespace

Var allreduce_sum(Communicator& comm, const Var& x) {
  const DataType type = floating_type(x.data(), comm, "dist::allreduce_sum");
  Tensor sum = x.data().contiguous().clone();  // never reduce into the input's storage
  comm.check_same_count(static_cast<size_t>(sum.numel()), "dist::allreduce_sum");
  comm.allreduce(data_or_null(sum), static_cast<size_t>(sum.numel()), type, ReduceOp::sum);
  Communicator* c = &comm;
  return record("dist_allreduce_sum", sum, {x}, [c](const Var& grad, const SavedContext&) {
    // grad: [same shape as x]; every rank's loss saw the same sum, so x gets all of them.
    return std::vector<Var>{allreduce_sum(*c, grad)};
  });
}

Var allgather(Communicator& comm, const Var& local) {
  const Tensor x = local.data().contiguous();
  if (x.dim() != 2)
    throw DistError(with_rank(comm.rank(), "dist::allgather: needs [n, d] rows, got a " + std::to_string(x.dim()) +
                                               "-d tensor"));
  const DataType type = floating_type(x, comm, "dist::allgather");
  const int64_t n = x.size(0), d = x.size(1);
  // Agree on the row width and dtype before moving rows (min and max of one key).
  const int64_t key = d * 8 + static_cast<int64_t>(type);
  int64_t v[2] = {key, -key};
  comm.allreduce(v, 2, DataType::i64, ReduceOp::min);
  if (v[0] != -v[1])
    throw DistError(with_rank(comm.rank(), "dist::allgather: row width or dtype differs across ranks (this rank [" +
                                               std::to_string(n) + ", " + std::to_string(d) + "] " +
                                               data_type_name(type) + ")"));
  std::vector<size_t> counts = comm.allgather_counts(static_cast<size_t>(n));
  int64_t total_rows = 0, offset = 0;
  for (int r = 0; r < comm.size(); ++r) {
    if (r == comm.rank()) offset = total_rows;
    total_rows += static_cast<int64_t>(counts[static_cast<size_t>(r)]);
    counts[static_cast<size_t>(r)] *= static_cast<size_t>(d);  // rows -> elements
  }
  Tensor gathered = Tensor::empty({total_rows, d}, x.dtype(), x.device());
  comm.allgatherv(data_or_null(x), data_or_null(gathered), counts, type);
  Communicator* c = &comm;
  return record("dist_allgather", gathered, {local}, [c, offset, n](const Var& grad, const SavedContext&) {
    // grad: [sum_r n_r, d] from this rank's loss; summed over ranks it is the gradient of
    // the total loss, of which this rank's rows [offset, offset + n) are ours.
    return std::vector<Var>{slice(allreduce_sum(*c, grad), 0, offset, offset + n)};
  });
}

}  // namespace cz::dist
