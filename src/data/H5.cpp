// HDF5 helpers: process-wide set-up, the I/O thread, error text, typed reads/writes.
#include "cezanne/data/H5.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "Sha256.hpp"

namespace cz::data::h5 {

namespace {
// Before main, while no other thread can race getenv: read-only opens must not need flock.
[[maybe_unused]] const bool kFileLockingOff = ::setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0) == 0;
}  // namespace

void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Must precede the first file open; 1.10.8 reads it there. overwrite=0 keeps a user's choice.
    ::setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0);
    // Every file is closed where it was opened; at exit HDF5's own clean-up would only find a
    // file whose close already failed (a full disk) and crash flushing it again.
    H5dont_atexit();
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

std::string library_version() {
  unsigned major = 0;
  unsigned minor = 0;
  unsigned release = 0;
  if (H5get_libversion(&major, &minor, &release) < 0) return "";
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

namespace {
herr_t innermost_error(unsigned n, const H5E_error2_t* err, void* out) {
  if (n == 0 && err != nullptr && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
  return 0;
}
}  // namespace

std::string error_detail() {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, &detail);
  H5Eclear2(H5E_DEFAULT);
  // A failed system call reads "file write failed: time = <ctime>\n, filename = ..., errno =
  // 28, error message = 'No space left on device', ..." (or "unable to open file: name = ...");
  // keep what failed and the OS's reason.
  const std::string marker = "error message = '";
  const auto from = detail.find(marker);
  const auto fields = std::min(detail.find(": time = "), detail.find(": name = "));
  if (from != std::string::npos && fields < from) {
    const auto begin = from + marker.size(), end = detail.find('\'', begin);
    detail = detail.substr(0, fields) + ": " + detail.substr(begin, end - begin);
  }
  std::replace(detail.begin(), detail.end(), '\n', ' ');
  return detail;
}

std::string fsync_error(const std::filesystem::path& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return path.string() + ": cannot open for fsync: " + std::strerror(errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems refuse fsync on directories; the data files are what matter.
  if (rc != 0 && !(directory && (err == EINVAL || err == EROFS)))
    return path.string() + ": fsync failed: " + std::strerror(err);
  return "";
}

void throw_h5(const std::string& file, const std::string& object, const char* call, const char* src,
              int line) {
  std::string name(call);
  name = name.substr(0, name.find('('));
  const std::string detail = error_detail();
  std::string where(src);
  where = where.substr(where.find_last_of('/') + 1);
  std::string message = file + ": " + object + ": " + name + " failed";
  if (!detail.empty()) message += ": " + detail;
  message += " [" + where + ":" + std::to_string(line) + "]";
  throw StoreError(message);
}

IoThread& IoThread::instance() {
  // Leaked on purpose: stores destroyed during static destruction still find a live thread.
  static IoThread* thread = new IoThread();
  return *thread;
}

IoThread::IoThread() {
  ::setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0);
  thread_ = std::thread([this] { loop(); });
}

void IoThread::loop() {
  init();
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // the error-stack setting is per thread
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return !queue_.empty(); });
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();  // a packaged_task: exceptions go to its future
  }
}

template <>
hid_t file_type<uint8_t>() {
  return H5T_STD_U8LE;
}
template <>
hid_t file_type<int32_t>() {
  return H5T_STD_I32LE;
}
template <>
hid_t file_type<int64_t>() {
  return H5T_STD_I64LE;
}
template <>
hid_t mem_type<uint8_t>() {
  return H5T_NATIVE_UINT8;
}
template <>
hid_t mem_type<int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
hid_t mem_type<int64_t>() {
  return H5T_NATIVE_INT64;
}

namespace {
Hid fixed_string_type(size_t size, const std::string& file, const std::string& object) {
  Hid type(CZ_CHECK_H5(H5Tcopy(H5T_C_S1), file, object), H5Tclose);
  CZ_CHECK_H5(H5Tset_size(type, std::max<size_t>(1, size)), file, object);
  CZ_CHECK_H5(H5Tset_strpad(type, H5T_STR_NULLPAD), file, object);
  CZ_CHECK_H5(H5Tset_cset(type, H5T_CSET_UTF8), file, object);
  return type;
}

/// Reads string data of any HDF5 string type (fixed or variable length) into `count` strings.
std::vector<std::string> read_string_data(hid_t obj, bool is_attr, hid_t stored_type, size_t count,
                                          const std::string& file, const std::string& object) {
  std::vector<std::string> out(count);
  if (H5Tget_class(stored_type) != H5T_STRING)
    throw StoreError(file + ": " + object + ": not a string");
  const htri_t vlen = CZ_CHECK_H5(H5Tis_variable_str(stored_type), file, object);
  if (vlen > 0) {
    Hid mem(CZ_CHECK_H5(H5Tcopy(H5T_C_S1), file, object), H5Tclose);
    CZ_CHECK_H5(H5Tset_size(mem, H5T_VARIABLE), file, object);
    CZ_CHECK_H5(H5Tset_cset(mem, H5Tget_cset(stored_type)), file, object);
    std::vector<char*> ptrs(count, nullptr);
    if (is_attr) {
      CZ_CHECK_H5(H5Aread(obj, mem, ptrs.data()), file, object);
    } else {
      CZ_CHECK_H5(H5Dread(obj, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), file, object);
    }
    for (size_t i = 0; i < count; ++i) {
      if (ptrs[i] != nullptr) out[i] = ptrs[i];
      H5free_memory(ptrs[i]);
    }
    return out;
  }
  const size_t size = H5Tget_size(stored_type);
  Hid mem = fixed_string_type(size, file, object);
  std::vector<char> buffer(std::max<size_t>(1, size * count), '\0');
  if (is_attr) {
    CZ_CHECK_H5(H5Aread(obj, mem, buffer.data()), file, object);
  } else {
    CZ_CHECK_H5(H5Dread(obj, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), file, object);
  }
  for (size_t i = 0; i < count; ++i) {
    const char* begin = buffer.data() + i * size;
    out[i] = std::string(begin, strnlen(begin, size));
  }
  return out;
}
}  // namespace

void write_attr_string(hid_t obj, const std::string& name, const std::string& value,
                       const std::string& file) {
  const std::string object = "attribute '" + name + "'";
  Hid type = fixed_string_type(value.size(), file, object);
  Hid space(CZ_CHECK_H5(H5Screate(H5S_SCALAR), file, object), H5Sclose);
  Hid attr(CZ_CHECK_H5(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), file,
                       object),
           H5Aclose);
  std::vector<char> buffer(std::max<size_t>(1, value.size()), '\0');
  std::copy(value.begin(), value.end(), buffer.begin());
  CZ_CHECK_H5(H5Awrite(attr, type, buffer.data()), file, object);
}

namespace {

void write_attr_scalar(hid_t obj, const std::string& name, hid_t stored, hid_t memory,
                       const void* value, const std::string& file) {
  const std::string object = "attribute '" + name + "'";
  Hid space(CZ_CHECK_H5(H5Screate(H5S_SCALAR), file, object), H5Sclose);
  Hid attr(CZ_CHECK_H5(H5Acreate2(obj, name.c_str(), stored, space, H5P_DEFAULT, H5P_DEFAULT), file,
                       object),
           H5Aclose);
  CZ_CHECK_H5(H5Awrite(attr, memory, value), file, object);
}

void read_attr_number(hid_t obj, const std::string& name, H5T_class_t cls, hid_t memory,
                      void* value, const std::string& file) {
  const std::string object = "attribute '" + name + "'";
  if (H5Aexists(obj, name.c_str()) <= 0) throw StoreError(file + ": missing " + object);
  Hid attr(CZ_CHECK_H5(H5Aopen(obj, name.c_str(), H5P_DEFAULT), file, object), H5Aclose);
  Hid type(CZ_CHECK_H5(H5Aget_type(attr), file, object), H5Tclose);
  if (H5Tget_class(type) != cls)
    throw StoreError(file + ": " + object +
                     (cls == H5T_INTEGER ? ": not an integer" : ": not a float"));
  CZ_CHECK_H5(H5Aread(attr, memory, value), file, object);
}

}  // namespace

void write_attr_int64(hid_t obj, const std::string& name, int64_t value, const std::string& file) {
  write_attr_scalar(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, file);
}

void write_attr_uint64(hid_t obj, const std::string& name, uint64_t value,
                       const std::string& file) {
  write_attr_scalar(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value, file);
}

namespace {

struct AttributeWalk {
  detail::Sha256 hash;
  std::string skip, file, error;
};

herr_t hash_attribute(hid_t obj, const char* name, const H5A_info_t*, void* data) {
  auto& walk = *static_cast<AttributeWalk*>(data);
  if (walk.skip == name) return 0;
  const hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
  const hid_t type = attr < 0 ? -1 : H5Aget_type(attr);
  const hsize_t bytes = attr < 0 ? 0 : H5Aget_storage_size(attr);
  std::vector<uint8_t> value(static_cast<size_t>(bytes));
  const bool ok = type >= 0 && (bytes == 0 || H5Aread(attr, type, value.data()) >= 0);
  const int64_t header[2] = {type >= 0 ? static_cast<int64_t>(H5Tget_class(type)) : -1,
                             type >= 0 ? static_cast<int64_t>(H5Tget_size(type)) : -1};
  if (type >= 0) H5Tclose(type);
  if (attr >= 0) H5Aclose(attr);
  if (!ok) {
    walk.error = walk.file + ": attribute '" + name + "': unreadable";
    return -1;
  }
  walk.hash.update(name, std::strlen(name) + 1);
  walk.hash.update(header, sizeof header);
  walk.hash.update(value.data(), value.size());
  return 0;
}

}  // namespace

std::string attributes_sha256(hid_t obj, const std::string& skip, const std::string& file) {
  AttributeWalk walk{{}, skip, file, ""};
  hsize_t index = 0;
  if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &index, hash_attribute, &walk) < 0) {
    H5Eclear2(H5E_DEFAULT);
    throw StoreError(walk.error.empty() ? file + ": cannot list attributes" : walk.error);
  }
  return walk.hash.hex();
}

void write_attr_double(hid_t obj, const std::string& name, double value, const std::string& file) {
  write_attr_scalar(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, file);
}

bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

std::string read_attr_string(hid_t obj, const std::string& name, const std::string& file) {
  const std::string object = "attribute '" + name + "'";
  if (!has_attr(obj, name)) throw StoreError(file + ": missing " + object);
  Hid attr(CZ_CHECK_H5(H5Aopen(obj, name.c_str(), H5P_DEFAULT), file, object), H5Aclose);
  Hid type(CZ_CHECK_H5(H5Aget_type(attr), file, object), H5Tclose);
  return read_string_data(attr, true, type, 1, file, object)[0];
}

int64_t read_attr_int64(hid_t obj, const std::string& name, const std::string& file) {
  int64_t value = 0;
  read_attr_number(obj, name, H5T_INTEGER, H5T_NATIVE_INT64, &value, file);
  return value;
}

uint64_t read_attr_uint64(hid_t obj, const std::string& name, const std::string& file) {
  uint64_t value = 0;
  read_attr_number(obj, name, H5T_INTEGER, H5T_NATIVE_UINT64, &value, file);
  return value;
}

double read_attr_double(hid_t obj, const std::string& name, const std::string& file) {
  double value = 0;
  read_attr_number(obj, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, &value, file);
  return value;
}

namespace {
Hid create_dataset(hid_t loc, const std::string& path, hid_t type, const std::vector<hsize_t>& dims,
                   std::vector<hsize_t> chunk, int compression, const std::string& file) {
  const int rank = static_cast<int>(dims.size());
  std::vector<hsize_t> maxdims = dims;
  if (!dims.empty() && dims[0] == 0) maxdims[0] = H5S_UNLIMITED;
  for (size_t i = 0; i < chunk.size(); ++i) {
    chunk[i] = std::max<hsize_t>(1, chunk[i]);
    if (maxdims[i] != H5S_UNLIMITED) chunk[i] = std::min(chunk[i], maxdims[i]);
  }
  Hid space(CZ_CHECK_H5(H5Screate_simple(rank, dims.data(), maxdims.data()), file, path), H5Sclose);
  Hid dcpl(CZ_CHECK_H5(H5Pcreate(H5P_DATASET_CREATE), file, path), H5Pclose);
  CZ_CHECK_H5(H5Pset_chunk(dcpl, rank, chunk.data()), file, path);
  // Checksum last: it covers the bytes as stored, so corruption is caught before inflating.
  if (compression > 0)
    CZ_CHECK_H5(H5Pset_deflate(dcpl, static_cast<unsigned>(compression)), file, path);
  CZ_CHECK_H5(H5Pset_fletcher32(dcpl), file, path);
  Hid lcpl(CZ_CHECK_H5(H5Pcreate(H5P_LINK_CREATE), file, path), H5Pclose);
  CZ_CHECK_H5(H5Pset_create_intermediate_group(lcpl, 1), file, path);
  return Hid(
      CZ_CHECK_H5(H5Dcreate2(loc, path.c_str(), type, space, lcpl, dcpl, H5P_DEFAULT), file, path),
      H5Dclose);
}
}  // namespace

template <class T>
void write_dataset(hid_t loc, const std::string& path, const T* data,
                   const std::vector<hsize_t>& dims, std::vector<hsize_t> chunk, int compression,
                   const std::string& file) {
  Hid dset = create_dataset(loc, path, file_type<T>(), dims, std::move(chunk), compression, file);
  hsize_t total = 1;
  for (hsize_t d : dims) total *= d;
  if (total > 0)
    CZ_CHECK_H5(H5Dwrite(dset, mem_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), file, path);
}
template void write_dataset<uint8_t>(hid_t, const std::string&, const uint8_t*,
                                     const std::vector<hsize_t>&, std::vector<hsize_t>, int,
                                     const std::string&);
template void write_dataset<int32_t>(hid_t, const std::string&, const int32_t*,
                                     const std::vector<hsize_t>&, std::vector<hsize_t>, int,
                                     const std::string&);
template void write_dataset<int64_t>(hid_t, const std::string&, const int64_t*,
                                     const std::vector<hsize_t>&, std::vector<hsize_t>, int,
                                     const std::string&);

void write_strings(hid_t loc, const std::string& path, const std::vector<std::string>& values,
                   const std::string& file) {
  size_t size = 1;
  for (const auto& v : values) {
    if (v.find('\0') != std::string::npos)
      throw StoreError(file + ": " + path + ": name contains a NUL byte");
    size = std::max(size, v.size());
  }
  Hid type = fixed_string_type(size, file, path);
  std::vector<char> buffer(std::max<size_t>(1, size * values.size()), '\0');
  for (size_t i = 0; i < values.size(); ++i)
    std::copy(values[i].begin(), values[i].end(), buffer.begin() + i * size);
  const std::vector<hsize_t> dims{values.size()};
  const hsize_t chunk = std::max<hsize_t>(1, std::min<hsize_t>(values.size(), (1u << 20) / size));
  Hid dset = create_dataset(loc, path, type, dims, {chunk}, 0, file);
  if (!values.empty())
    CZ_CHECK_H5(H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), file, path);
}

std::vector<hsize_t> dataset_dims(hid_t dset, const std::string& path, const std::string& file) {
  Hid space(CZ_CHECK_H5(H5Dget_space(dset), file, path), H5Sclose);
  const int rank = CZ_CHECK_H5(H5Sget_simple_extent_ndims(space), file, path);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  CZ_CHECK_H5(H5Sget_simple_extent_dims(space, dims.data(), nullptr), file, path);
  return dims;
}

namespace {
Hid open_dataset(hid_t loc, const std::string& path, const std::string& file) {
  if (H5Lexists(loc, path.substr(0, path.find('/', 1)).c_str(), H5P_DEFAULT) <= 0 ||
      H5Lexists(loc, path.c_str(), H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw StoreError(file + ": " + path + ": missing dataset");
  }
  return Hid(CZ_CHECK_H5(H5Dopen2(loc, path.c_str(), H5P_DEFAULT), file, path), H5Dclose);
}

void check_1d(const std::vector<hsize_t>& dims, int64_t expected, const std::string& path,
              const std::string& file) {
  if (dims.size() != 1) throw StoreError(file + ": " + path + ": expected a 1-D dataset");
  if (expected >= 0 && static_cast<int64_t>(dims[0]) != expected) {
    throw StoreError(file + ": " + path + ": has " + std::to_string(dims[0]) +
                     " elements, expected " + std::to_string(expected));
  }
}
}  // namespace

template <class T>
std::vector<T> read_vector(hid_t loc, const std::string& path, int64_t expected,
                           const std::string& file) {
  Hid dset = open_dataset(loc, path, file);
  const auto dims = dataset_dims(dset, path, file);
  check_1d(dims, expected, path, file);
  std::vector<T> values(dims[0]);
  if (!values.empty()) {
    if (H5Dread(dset, mem_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
      const std::string detail = error_detail();
      throw StoreError(file + ": " + path + ": checksum mismatch or corrupt data (" + detail + ")");
    }
  }
  return values;
}
template std::vector<uint8_t> read_vector<uint8_t>(hid_t, const std::string&, int64_t,
                                                   const std::string&);
template std::vector<int32_t> read_vector<int32_t>(hid_t, const std::string&, int64_t,
                                                   const std::string&);
template std::vector<int64_t> read_vector<int64_t>(hid_t, const std::string&, int64_t,
                                                   const std::string&);

std::vector<std::string> read_strings(hid_t loc, const std::string& path, int64_t expected,
                                      const std::string& file) {
  Hid dset = open_dataset(loc, path, file);
  const auto dims = dataset_dims(dset, path, file);
  check_1d(dims, expected, path, file);
  Hid type(CZ_CHECK_H5(H5Dget_type(dset), file, path), H5Tclose);
  if (dims[0] == 0) return {};
  try {
    return read_string_data(dset, false, type, dims[0], file, path);
  } catch (const StoreError& e) {
    throw StoreError(std::string(e.what()) + " (checksum mismatch or corrupt data)");
  }
}

}  // namespace cz::data::h5
