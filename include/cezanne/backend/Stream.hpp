// Streams and the execution context: the ordered queue of work a kernel is launched on.
#pragma once

#include "cezanne/tensor/Device.hpp"

namespace cz {

/// An ordered queue of work on one device. CPU and checking streams run their work before the
/// kernel returns (handle null); a CUDA stream's handle is its cudaStream_t (null: the default
/// stream).
struct Stream {
  Device device;
  void* handle = nullptr;
  bool operator==(const Stream& o) const { return device == o.device && handle == o.handle; }
};

/// The execution context of the calling thread: the stream its kernels and collectives on
/// `device` are issued to. The device's default stream unless a StreamGuard chose another.
/// Backends read it when they launch a kernel, the NCCL communicator when it runs a collective,
/// so work on one device from one thread stays in one order.
Stream current_stream(Device device);

/// Makes `stream` the calling thread's current stream of its device until destruction.
class StreamGuard {
 public:
  explicit StreamGuard(Stream stream);
  ~StreamGuard();
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  Stream previous_;
};

}  // namespace cz
