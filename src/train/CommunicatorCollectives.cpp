// The tensor collectives of learn's differentiable ops, on a communicator's buffers.
#include "cezanne/train/CommunicatorCollectives.hpp"

#include <string>
#include <vector>

#include "cezanne/dist/Log.hpp"

namespace cz::train {
namespace {

dist::DataType floating_type(const Tensor& t, const dist::Communicator& comm, const char* what) {
  if (t.dtype() == DType::f32) return dist::DataType::f32;
  if (t.dtype() == DType::f64) return dist::DataType::f64;
  throw dist::DistError(dist::with_rank(
      comm.rank(), std::string(what) + ": needs f32 or f64, got " + dtype_name(t.dtype())));
}

void* data_or_null(const Tensor& t) { return t.numel() > 0 ? t.raw_data() : nullptr; }

}  // namespace

Tensor CommunicatorCollectives::sum(const Tensor& t) {
  const dist::DataType type = floating_type(t, comm_, "allreduce_sum");
  // Never reduce into the input's storage; a tensor off the communicator's memory goes through a
  // copy there and back.
  Tensor sum = t.device() == comm_.memory() ? t.contiguous().clone() : t.to(comm_.memory());
  comm_.check_same_count(static_cast<size_t>(sum.numel()), "allreduce_sum");
  comm_.allreduce(data_or_null(sum), static_cast<size_t>(sum.numel()), type, dist::ReduceOp::sum);
  return sum.to(t.device());
}

learn::GatheredRows CommunicatorCollectives::gather_rows(const Tensor& rows) {
  const Tensor x = rows.contiguous().to(comm_.memory());
  if (x.dim() != 2)
    throw dist::DistError(dist::with_rank(comm_.rank(), "allgather: needs [n, d] rows, got a " +
                                                            std::to_string(x.dim()) + "-d tensor"));
  const dist::DataType type = floating_type(x, comm_, "allgather");
  const int64_t n = x.size(0), d = x.size(1);
  // Agree on the row width and dtype before moving rows (min and max of one key).
  const int64_t key = d * 8 + static_cast<int64_t>(type);
  int64_t v[2] = {key, -key};
  comm_.allreduce(v, 2, dist::DataType::i64, dist::ReduceOp::min);
  if (v[0] != -v[1])
    throw dist::DistError(dist::with_rank(
        comm_.rank(), "allgather: row width or dtype differs across ranks (this rank [" +
                          std::to_string(n) + ", " + std::to_string(d) + "] " +
                          dist::data_type_name(type) + ")"));
  std::vector<size_t> counts = comm_.allgather_counts(static_cast<size_t>(n));
  int64_t total_rows = 0, first = 0;
  for (int r = 0; r < comm_.size(); ++r) {
    if (r == comm_.rank()) first = total_rows;
    total_rows += static_cast<int64_t>(counts[static_cast<size_t>(r)]);
    counts[static_cast<size_t>(r)] *= static_cast<size_t>(d);  // rows -> elements
  }
  Tensor gathered = Tensor::empty({total_rows, d}, x.dtype(), x.device());
  comm_.allgatherv(data_or_null(x), data_or_null(gathered), counts, type);
  return {gathered.to(rows.device()), first};
}

}  // namespace cz::train
