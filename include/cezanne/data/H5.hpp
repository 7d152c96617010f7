// The HDF5 helpers of the store and the checkpoints: the I/O thread, CZ_CHECK_H5, handles,
// typed reads and writes with Fletcher32 on. The one place that includes hdf5.h.
#pragma once

#include <hdf5.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "cezanne/data/StoreError.hpp"

namespace cz::data::h5 {

/// Once per process: HDF5_USE_FILE_LOCKING=FALSE unless the user set it (read-only opens on
/// file systems without locks), H5open, and no automatic error-stack printing.
void init();

/// The HDF5 library's version, "1.10.8" ("" when it cannot be read).
std::string library_version();

/// The innermost message on the current thread's HDF5 error stack ("" if none); clears it.
std::string error_detail();

/// Throws StoreError "<file>: <object>: <call> failed: <hdf5 detail> [<src>:<line>]".
[[noreturn]] void throw_h5(const std::string& file, const std::string& object, const char* call,
                           const char* src, int line);

/// fsync of a file or directory: "" on success, else "<path>: cannot open for fsync: <why>" or
/// "<path>: fsync failed: <why>". Directories where the file system refuses fsync count as done.
std::string fsync_error(const std::filesystem::path& path, bool directory);

/// Evaluates an HDF5 call; a negative result throws StoreError naming file, object and call.
#define CZ_CHECK_H5(expr, file, object)                                                           \
  ([&]() {                                                                                        \
    auto cz_h5_result_ = (expr);                                                                  \
    if (cz_h5_result_ < 0) ::cz::data::h5::throw_h5((file), (object), #expr, __FILE__, __LINE__); \
    return cz_h5_result_;                                                                         \
  }())

/// One thread that owns every HDF5 call of the process: the store's and the checkpoints' (the
/// library holds one global lock, and Debian's build is not guaranteed thread-safe everywhere).
/// Tasks run in order.
class IoThread {
 public:
  static IoThread& instance();

  /// Runs `fn` on the I/O thread and returns a future of its result.
  template <class F>
  auto submit(F&& fn) -> std::future<std::invoke_result_t<F>> {
    using R = std::invoke_result_t<F>;
    auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(fn));
    auto future = task->get_future();
    if (on_io_thread()) {
      (*task)();
      return future;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.emplace_back([task] { (*task)(); });
    }
    cv_.notify_one();
    return future;
  }
  /// Runs `fn` on the I/O thread and waits (inline when already there); rethrows its exception.
  template <class F>
  auto run(F&& fn) -> std::invoke_result_t<F> {
    return submit(std::forward<F>(fn)).get();
  }
  bool on_io_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  IoThread();
  void loop();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::thread thread_;
};

/// Owns an hid_t and closes it with the matching H5*close.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Hid(Hid&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.id_;
      closer_ = other.closer_;
      other.id_ = -1;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() { reset(); }
  void reset() {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = -1;
  }
  hid_t get() const { return id_; }
  /// Gives up ownership (after an explicit, checked close).
  hid_t release() {
    const hid_t id = id_;
    id_ = -1;
    return id;
  }
  operator hid_t() const { return id_; }  // NOLINT: handles pass straight into the C API

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// --- typed helpers; `file` is the name used in error messages -------------------------------

template <class T>
hid_t file_type();  // little-endian standard type stored on disk
template <class T>
hid_t mem_type();

void write_attr_string(hid_t obj, const std::string& name, const std::string& value,
                       const std::string& file);
void write_attr_int64(hid_t obj, const std::string& name, int64_t value, const std::string& file);
void write_attr_uint64(hid_t obj, const std::string& name, uint64_t value, const std::string& file);
void write_attr_double(hid_t obj, const std::string& name, double value, const std::string& file);
bool has_attr(hid_t obj, const std::string& name);
std::string read_attr_string(hid_t obj, const std::string& name, const std::string& file);
int64_t read_attr_int64(hid_t obj, const std::string& name, const std::string& file);
uint64_t read_attr_uint64(hid_t obj, const std::string& name, const std::string& file);
double read_attr_double(hid_t obj, const std::string& name, const std::string& file);
/// SHA-256 (hex) over every attribute of `obj` but `skip`, in name order: each one's name, its
/// type's class and size, and its value's bytes as stored. HDF5 checksums no attribute; this
/// is what makes damage to them detectable.
std::string attributes_sha256(hid_t obj, const std::string& skip, const std::string& file);

/// A chunked dataset with Fletcher32 (and gzip when `compression` > 0). `chunk` has the rank of
/// `dims`; a zero-length axis 0 is made extendible so the chunk stays legal.
template <class T>
void write_dataset(hid_t loc, const std::string& path, const T* data,
                   const std::vector<hsize_t>& dims, std::vector<hsize_t> chunk, int compression,
                   const std::string& file);
/// 1-D dataset chunked as a whole (at most 64 Ki elements per chunk).
template <class T>
void write_vector(hid_t loc, const std::string& path, const std::vector<T>& values,
                  const std::string& file) {
  std::vector<hsize_t> dims{values.size()};
  write_dataset<T>(loc, path, values.data(), dims,
                   {std::max<hsize_t>(1, std::min<hsize_t>(values.size(), 65536))}, 0, file);
}
/// Fixed-length UTF-8 strings (null-padded), so the checksum covers the characters themselves.
void write_strings(hid_t loc, const std::string& path, const std::vector<std::string>& values,
                   const std::string& file);

/// Dimensions of a dataset.
std::vector<hsize_t> dataset_dims(hid_t dset, const std::string& path, const std::string& file);
/// Reads a whole 1-D dataset of `expected` elements (-1: any) as T.
template <class T>
std::vector<T> read_vector(hid_t loc, const std::string& path, int64_t expected,
                           const std::string& file);
std::vector<std::string> read_strings(hid_t loc, const std::string& path, int64_t expected,
                                      const std::string& file);

}  // namespace cz::data::h5
