// CUDA gather / scatter_add / index_select / index_add on contiguous operands ([outer, size(dim),
// inner] views), with the CPU's results: gathers copy, and the adds add into each element of out
// in the CPU's order (ascending position along dim), in the operands' type, so scatter_add and
// index_add equal the CPU's bit for bit and are deterministic without atomics.
#include "CudaIndex.cuh"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "CudaBackend.cuh"

namespace cz::cuda {

namespace {

const char* op_name(IndexOp op) {
  switch (op) {
    case IndexOp::gather:
      return "gather";
    case IndexOp::scatter_add:
      return "scatter_add";
    case IndexOp::index_select:
      return "index_select";
    case IndexOp::index_add:
      return "index_add";
  }
  return "index";
}

struct FaultState {
  int* claim = nullptr;                // device memory
  IndexFaultRecord* host = nullptr;    // mapped host memory
  IndexFaultRecord* mapped = nullptr;  // its device address
};

// By device, created on first use and never freed: the CUDA runtime may be gone by the time
// static destructors run.
std::mutex fault_mutex;
std::vector<std::unique_ptr<FaultState>> fault_states;

/// Frees the claim word for the next fault; waits for the device, since a kernel on a stream that
/// does not synchronize with the default one must not see the word before it is cleared.
void clear_claim(int device, int* claim) {
  CZ_CHECK_CUDA(cudaSetDevice(device));
  CZ_CHECK_CUDA(cudaMemset(claim, 0, sizeof(int)));
  CZ_CHECK_CUDA(cudaDeviceSynchronize());
}

}  // namespace

IndexFaults index_faults(int device) {
  const std::lock_guard<std::mutex> lock(fault_mutex);
  if (fault_states.size() <= static_cast<size_t>(device))
    fault_states.resize(static_cast<size_t>(device) + 1);
  auto& state = fault_states[static_cast<size_t>(device)];
  if (!state) {
    auto s = std::make_unique<FaultState>();
    CZ_CHECK_CUDA(cudaSetDevice(device));
    CZ_CHECK_CUDA(cudaMalloc(&s->claim, sizeof(int)));
    clear_claim(device, s->claim);
    CZ_CHECK_CUDA(cudaHostAlloc(&s->host, sizeof(IndexFaultRecord), cudaHostAllocMapped));
    *s->host = IndexFaultRecord{0, 0, 0, 0};
    CZ_CHECK_CUDA(cudaHostGetDevicePointer(&s->mapped, s->host, 0));
    state = std::move(s);
  }
  return {state->claim, state->mapped};
}

void raise_index_fault(int device) {
  IndexFaultRecord fault{};
  {
    const std::lock_guard<std::mutex> lock(fault_mutex);
    if (fault_states.size() <= static_cast<size_t>(device) ||
        !fault_states[static_cast<size_t>(device)])
      return;
    FaultState& s = *fault_states[static_cast<size_t>(device)];
    volatile IndexFaultRecord* r = s.host;
    if (r->set == 0) return;
    fault = IndexFaultRecord{r->index, r->size, r->op, 1};
    r->set = 0;
    clear_claim(device, s.claim);
  }
  throw ShapeError(std::string(op_name(static_cast<IndexOp>(fault.op))) + ": index " +
                   std::to_string(fault.index) + " out of range [0, " + std::to_string(fault.size) +
                   ")");
}

void CudaBackend::gather(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) {
  const Split3 xs = split3(x.shape(), dim), is = split3(index.shape(), dim);
  const IndexLayout layout{is.mid * is.inner, is.inner, 1};
  const IndexFaults faults = index_faults(index_);
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_gather(StreamLaunch{stream()}, data<T>(x), data<int64_t>(index), layout, data<T>(out),
                  is, xs.mid, faults, IndexOp::gather);
  });
}

void CudaBackend::index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) {
  const Split3 xs = split3(x.shape(), dim), os = split3(out.shape(), dim);
  const IndexFaults faults = index_faults(index_);
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_gather(StreamLaunch{stream()}, data<T>(x), data<int64_t>(index), IndexLayout{0, 1, 0},
                  data<T>(out), os, xs.mid, faults, IndexOp::index_select);
  });
}

void CudaBackend::scatter_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) {
  const Split3 os = split3(out.shape(), dim), is = split3(index.shape(), dim);
  const IndexLayout layout{is.mid * is.inner, is.inner, 1};
  const IndexFaults faults = index_faults(index_);
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_scatter_add(StreamLaunch{stream()}, data<int64_t>(index), layout, data<T>(src),
                       data<T>(out), is, os.mid, faults, IndexOp::scatter_add);
  });
}

void CudaBackend::index_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) {
  const Split3 os = split3(out.shape(), dim), ss = split3(src.shape(), dim);
  const IndexFaults faults = index_faults(index_);
  dispatch_floating(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_scatter_add(StreamLaunch{stream()}, data<int64_t>(index), IndexLayout{0, 1, 0},
                       data<T>(src), data<T>(out), ss, os.mid, faults, IndexOp::index_add);
  });
}

}  // namespace cz::cuda
