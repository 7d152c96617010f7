// Out-of-range indices on the GPU. The CPU's indexing kernels throw ShapeError before they run;
// a GPU kernel cannot, and checking first would stop the host at every gather. So the CUDA
// indexing kernels skip an out-of-range index (they never touch memory outside the operands, so
// the CUDA context stays usable), record it, and the device's next host synchronization (a copy
// to the host, synchronize()) throws the CPU's ShapeError for it.
#pragma once

#include <cstdint>

namespace cz::cuda {

/// The index an indexing kernel found out of range, written once per fault by the kernel thread
/// that claimed it; in mapped host memory, so the host reads it after a synchronization without a
/// copy.
struct IndexFaultRecord {
  int64_t index;
  int64_t size;
  int32_t op;  // IndexOp
  int32_t set;
};

/// What an indexing kernel needs to report a fault: a claim word in device memory (0: free), so
/// that exactly one thread writes the record, and the record's device address.
struct IndexFaults {
  int* claim = nullptr;
  IndexFaultRecord* record = nullptr;
};

/// The indexing ops, as named in their errors.
enum class IndexOp : int32_t { gather, scatter_add, index_select, index_add };

/// Device `device`'s fault record (allocated on first use).
IndexFaults index_faults(int device);

/// Throws ShapeError("<op>: index <i> out of range [0, <size>)") for a fault that an indexing
/// kernel of device `device` recorded (and clears it); returns when there is none. Call after a
/// host synchronization of that device: the record is complete once the kernel has finished.
void raise_index_fault(int device);

}  // namespace cz::cuda
