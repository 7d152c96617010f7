// The fused meta-gradient allreduce over the flat gradient buffer.
#include "cezanne/dist/GradientReducer.hpp"

#include <algorithm>
#include <string>

#include "cezanne/dist/Log.hpp"

namespace cz::dist {
namespace {

DataType floating_type(const Tensor& t, const Communicator& comm, const char* what) {
  if (t.dtype() == DType::f32) return DataType::f32;
  if (t.dtype() == DType::f64) return DataType::f64;
  throw DistError(with_rank(comm.rank(), std::string(what) + ": needs an f32 or f64 tensor, got " +
                                             dtype_name(t.dtype())));
}

// Whether the communicator moves t's memory itself (else it goes through a host copy).
bool moves_in_place(const Tensor& t, const Communicator& comm, const char* what) {
  if (!t.defined()) throw DistError(with_rank(comm.rank(), std::string(what) + ": undefined tensor"));
  if (!t.is_contiguous())
    throw DistError(with_rank(comm.rank(), std::string(what) + ": the flat buffer must be contiguous"));
  if (!comm.device_buffers()) return t.device() == comm.memory();
  if (t.device() != comm.memory())
    throw DistError(with_rank(comm.rank(), std::string(what) + ": tensor on " + t.device().str() + ", the " +
                                               comm.backend() + " communicator works on cuda:" +
                                               std::to_string(comm.device())));
  return true;
}

// Runs `collective` on t's memory, or on a host copy written back after (a host communicator
// and a tensor on a device: MPI without device-memory support).
template <class F>
void on_communicator_memory(const Tensor& t, const Communicator& comm, const char* what, F collective) {
  if (moves_in_place(t, comm, what)) {
    collective(t);
    return;
  }
  const Tensor host = t.to(Device::cpu());
  collective(host);
  Tensor target = t;
  target.copy_(host.to(t.device()));
}

}  // namespace

GradientReducer::GradientReducer(Communicator& comm, size_t bucket_bytes)
    : comm_(comm), bucket_bytes_(std::max<size_t>(bucket_bytes, 1)) {}

std::vector<std::pair<size_t, size_t>> GradientReducer::buckets(size_t count, size_t element_bytes) const {
  const size_t per_bucket = std::max<size_t>(1, bucket_bytes_ / std::max<size_t>(element_bytes, 1));
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t begin = 0; begin < count; begin += per_bucket) out.emplace_back(begin, std::min(count, begin + per_bucket));
  return out;
}

void GradientReducer::reduce_raw(void* data, size_t count, DataType type, int64_t global_meta_batch) {
  if (global_meta_batch < 1)
    throw DistError(with_rank(comm_.rank(), "GradientReducer::reduce: global meta-batch must be >= 1, got " +
                                                std::to_string(global_meta_batch)));
  // Every rank must agree on the count before any bucket moves: a mismatch would otherwise
  // read or write past the end of the shorter buffer inside MPI.
  comm_.check_same_count(count, "GradientReducer::reduce");
  const size_t element = data_type_size(type);
  auto* bytes = static_cast<char*>(data);
  for (const auto& [begin, end] : buckets(count, element)) {
    comm_.allreduce(bytes + begin * element, end - begin, type, ReduceOp::sum);
    ++calls_;
    // Divide the bucket while it is hot in cache; x / B (not x * (1/B)) rounds as a
    // single-process mean would.
    comm_.divide(bytes + begin * element, end - begin, type, static_cast<double>(global_meta_batch));
  }
}

void GradientReducer::reduce(const Tensor& flat_grad, int64_t global_meta_batch) {
  const DataType type = floating_type(flat_grad, comm_, "GradientReducer::reduce");
  on_communicator_memory(flat_grad, comm_, "GradientReducer::reduce", [&](const Tensor& buffer) {
    reduce_raw(buffer.numel() > 0 ? buffer.raw_data() : nullptr, static_cast<size_t>(buffer.numel()), type,
               global_meta_batch);
  });
}

void GradientReducer::reduce(std::span<float> flat_grad, int64_t global_meta_batch) {
  reduce_raw(flat_grad.data(), flat_grad.size(), DataType::f32, global_meta_batch);
}

void GradientReducer::reduce(std::span<double> flat_grad, int64_t global_meta_batch) {
  reduce_raw(flat_grad.data(), flat_grad.size(), DataType::f64, global_meta_batch);
}

void broadcast_parameters(Communicator& comm, const Tensor& flat) {
  const DataType type = floating_type(flat, comm, "broadcast_parameters");
  on_communicator_memory(flat, comm, "broadcast_parameters", [&](const Tensor& buffer) {
    comm.check_same_count(static_cast<size_t>(buffer.numel()), "broadcast_parameters");
    if (buffer.numel() > 0) comm.broadcast(buffer.raw_data(), static_cast<size_t>(buffer.numel()), type, 0);
  });
}

}  // namespace cz::dist
