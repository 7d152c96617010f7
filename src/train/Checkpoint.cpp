// Checkpoints: the HDF5 layout, the content CRC, the atomic write, the verified read and the
// run directory's checkpoint-<step>.h5 files. docs/checkpoints.md describes the format.
#include "cezanne/train/Checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <string_view>
#include <system_error>

#include "cezanne/data/H5.hpp"

namespace cz::train {

namespace fs = std::filesystem;
using data::h5::Hid;
using Named = std::vector<std::pair<std::string, Tensor>>;

namespace {

constexpr const char* kFormat = "cezanne-checkpoint";
constexpr int64_t kFormatVersion = 1;
constexpr double kMaxChunkBytes = 1 << 20;

static_assert(std::endian::native == std::endian::little,
              "the content CRC hashes integers and tensor data as little-endian bytes");

CheckpointError damaged(const std::string& file, const std::string& detail) {
  return CheckpointError(file + ": damaged checkpoint: " + detail);
}

CheckpointError cannot_write(const std::string& file, const std::string& detail) {
  return CheckpointError(file + ": cannot write checkpoint: " + detail);
}

/// `message` without a leading "<file>: " (data::StoreError messages start with the file).
std::string without_file(const std::string& message, const std::string& file) {
  const std::string prefix = file + ": ";
  return message.starts_with(prefix) ? message.substr(prefix.size()) : message;
}

// --- content CRC ----------------------------------------------------------------------------

/// CRC-32 (zlib's) over the content in a fixed order; docs/checkpoints.md has it in Python.
class ContentCrc {
 public:
  void bytes(const void* data, size_t n) {
    // crc32_z(crc, nullptr, 0) would return the initial value, not `crc`.
    if (n > 0) crc_ = crc32_z(crc_, static_cast<const Bytef*>(data), n);
  }
  void i64(int64_t v) { bytes(&v, sizeof v); }
  void u64(uint64_t v) { bytes(&v, sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  /// `t` contiguous on the CPU.
  void tensor(const std::string& name, const Tensor& t) {
    str(name);
    str(dtype_name(t.dtype()));
    u64(static_cast<uint64_t>(t.dim()));
    for (int64_t d : t.shape()) i64(d);
    bytes(t.raw_data(), static_cast<size_t>(t.numel()) * dtype_size(t.dtype()));
  }
  void named(const Named& entries) {
    u64(entries.size());
    for (const auto& [name, t] : entries) tensor(name, t);
  }
  int64_t value() const { return static_cast<int64_t>(crc_); }

 private:
  uLong crc_ = 0;
};

/// The CRC stored in the "checksum" attribute; tensors contiguous on the CPU.
int64_t content_crc(const Checkpoint& c) {
  ContentCrc crc;
  crc.i64(kFormatVersion);
  crc.i64(c.step);
  crc.u64(c.seed);
  crc.i64(c.ranks);
  crc.str(c.algorithm);
  crc.str(c.model);
  crc.str(c.version);
  crc.str(c.optimizer);
  crc.i64(c.optimizer_steps);
  crc.u64(c.config.size());
  for (const auto& [key, value] : c.config) {
    crc.str(key);
    crc.str(value);
  }
  crc.named(c.params);
  crc.named(c.optimizer_state);
  if (c.store) {  // after everything else, so that older checkpoints keep their CRC
    crc.str(c.store->path);
    crc.i64(c.store->shape.height);
    crc.i64(c.store->shape.width);
    crc.i64(c.store->shape.channels);
    crc.str(c.store->examples_sha256);
    crc.u64(c.store->ink ? 1 : 0);
    if (c.store->ink) {
      crc.bytes(&c.store->ink->pixel_mean, sizeof(double));
      crc.bytes(&c.store->ink->border_mean, sizeof(double));
    }
  }
  if (!c.state.empty()) crc.named(c.state);  // likewise last: checkpoints without state keep their CRC
  return crc.value();
}

// --- HDF5 pieces (I/O thread only) ------------------------------------------------------------

hid_t file_type(DType t) {
  switch (t) {
    case DType::f32:
      return H5T_IEEE_F32LE;
    case DType::f64:
      return H5T_IEEE_F64LE;
    case DType::i64:
      return H5T_STD_I64LE;
  }
  return H5T_STD_I64LE;
}

hid_t mem_type(DType t) {
  switch (t) {
    case DType::f32:
      return H5T_NATIVE_FLOAT;
    case DType::f64:
      return H5T_NATIVE_DOUBLE;
    case DType::i64:
      return H5T_NATIVE_INT64;
  }
  return H5T_NATIVE_INT64;
}

/// One chunked dataset with Fletcher32 at `path`: chunks of whole rows along the first axis,
/// about 1 MiB each. A 0-d tensor is stored as shape [1] with the attribute scalar = 1.
void write_tensor(hid_t f, const std::string& path, const Tensor& t, const std::string& file) {
  std::vector<hsize_t> dims(t.shape().begin(), t.shape().end());
  if (dims.empty()) dims = {1};
  std::vector<hsize_t> maxdims = dims, chunk = dims;
  double row_bytes = static_cast<double>(dtype_size(t.dtype()));
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) {  // a chunk must be at least 1 long, so a 0-length axis is extendible
      maxdims[i] = H5S_UNLIMITED;
      chunk[i] = 1;
    }
    if (i > 0) row_bytes *= static_cast<double>(chunk[i]);
  }
  chunk[0] = static_cast<hsize_t>(std::clamp(kMaxChunkBytes / row_bytes, 1.0,
                                             static_cast<double>(std::max<hsize_t>(1, dims[0]))));

  const int rank = static_cast<int>(dims.size());
  Hid space(CZ_CHECK_H5(H5Screate_simple(rank, dims.data(), maxdims.data()), file, path), H5Sclose);
  Hid dcpl(CZ_CHECK_H5(H5Pcreate(H5P_DATASET_CREATE), file, path), H5Pclose);
  CZ_CHECK_H5(H5Pset_chunk(dcpl, rank, chunk.data()), file, path);
  CZ_CHECK_H5(H5Pset_fletcher32(dcpl), file, path);
  Hid dset(CZ_CHECK_H5(H5Dcreate2(f, path.c_str(), file_type(t.dtype()), space, H5P_DEFAULT, dcpl,
                                  H5P_DEFAULT),
                       file, path),
           H5Dclose);
  if (t.numel() > 0) {
    CZ_CHECK_H5(H5Dwrite(dset, mem_type(t.dtype()), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.raw_data()),
                file, path);
  }
  if (t.dim() == 0) data::h5::write_attr_int64(dset, "scalar", 1, file);
}

DType stored_dtype(hid_t dset, const std::string& path, const std::string& file) {
  Hid type(CZ_CHECK_H5(H5Dget_type(dset), file, path), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT && size == 4) return DType::f32;
  if (cls == H5T_FLOAT && size == 8) return DType::f64;
  if (cls == H5T_INTEGER && size == 8 && H5Tget_sign(type) == H5T_SGN_2) return DType::i64;
  throw data::StoreError(file + ": " + path + ": element type is not f32, f64 or i64");
}

Tensor read_tensor(hid_t f, const std::string& path, const std::string& file) {
  if (H5Lexists(f, path.c_str(), H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw data::StoreError(file + ": " + path + ": missing dataset");
  }
  Hid dset(CZ_CHECK_H5(H5Dopen2(f, path.c_str(), H5P_DEFAULT), file, path), H5Dclose);
  const DType dtype = stored_dtype(dset, path, file);
  const auto dims = data::h5::dataset_dims(dset, path, file);
  Shape shape(dims.begin(), dims.end());
  if (data::h5::has_attr(dset, "scalar")) {
    if (dims != std::vector<hsize_t>{1})
      throw data::StoreError(file + ": " + path + ": a scalar of shape " + shape_str(shape));
    shape.clear();
  }
  // Damaged metadata must not become a huge allocation: the data has to be on disk.
  double bytes = static_cast<double>(dtype_size(dtype));
  for (hsize_t d : dims) bytes *= static_cast<double>(d);
  if (bytes > static_cast<double>(H5Dget_storage_size(dset))) {
    throw data::StoreError(file + ": " + path + ": shape " + shape_str(shape) +
                           " is larger than the data stored");
  }
  Tensor t = Tensor::empty(shape, dtype);
  if (t.numel() > 0 &&
      H5Dread(dset, mem_type(dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.raw_data()) < 0) {
    const std::string detail = data::h5::error_detail();
    throw data::StoreError(file + ": " + path + ": checksum mismatch or corrupt data (" + detail +
                           ")");
  }
  return t;
}

/// Group `group` with one dataset per entry, and the names in order in the dataset `names`.
void write_named(hid_t f, const std::string& group, const std::string& names, const Named& entries,
                 const std::string& file) {
  Hid g(
      CZ_CHECK_H5(H5Gcreate2(f, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), file, group),
      H5Gclose);
  std::vector<std::string> order;
  for (const auto& [name, t] : entries) {
    write_tensor(f, group + "/" + name, t, file);
    order.push_back(name);
  }
  data::h5::write_strings(f, names, order, file);
}

Named read_named(hid_t f, const std::string& group, const std::string& names,
                 const std::string& file) {
  const auto order = data::h5::read_strings(f, names, -1, file);
  Hid g(CZ_CHECK_H5(H5Gopen2(f, group.c_str(), H5P_DEFAULT), file, group), H5Gclose);
  H5G_info_t info;
  CZ_CHECK_H5(H5Gget_info(g, &info), file, group);
  if (info.nlinks != order.size()) {
    throw data::StoreError(file + ": " + group + ": holds " + std::to_string(info.nlinks) +
                           " datasets, " + names + " names " + std::to_string(order.size()));
  }
  Named entries;
  for (const auto& name : order)
    entries.emplace_back(name, read_tensor(f, group + "/" + name, file));
  return entries;
}

/// The training store's fingerprint as attributes of the group /store.
void write_store(hid_t f, const data::StoreFingerprint& store, const std::string& file) {
  using namespace data::h5;
  Hid g(CZ_CHECK_H5(H5Gcreate2(f, "/store", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), file, "/store"),
        H5Gclose);
  write_attr_string(g, "path", store.path, file);
  write_attr_int64(g, "height", store.shape.height, file);
  write_attr_int64(g, "width", store.shape.width, file);
  write_attr_int64(g, "channels", store.shape.channels, file);
  write_attr_string(g, "examples_sha256", store.examples_sha256, file);
  if (store.ink) {
    write_attr_double(g, "pixel_mean", store.ink->pixel_mean, file);
    write_attr_double(g, "border_mean", store.ink->border_mean, file);
  }
}

std::optional<data::StoreFingerprint> read_store(hid_t f, const std::string& file) {
  using namespace data::h5;
  if (H5Lexists(f, "/store", H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  Hid g(CZ_CHECK_H5(H5Gopen2(f, "/store", H5P_DEFAULT), file, "/store"), H5Gclose);
  data::StoreFingerprint store;
  store.path = read_attr_string(g, "path", file);
  store.shape = {read_attr_int64(g, "height", file), read_attr_int64(g, "width", file),
                 read_attr_int64(g, "channels", file)};
  store.examples_sha256 = read_attr_string(g, "examples_sha256", file);
  if (has_attr(g, "pixel_mean")) {
    store.ink = data::InkStats{read_attr_double(g, "pixel_mean", file),
                               read_attr_double(g, "border_mean", file)};
  }
  return store;
}

void write_h5(const std::string& file, const Checkpoint& c, int64_t crc) {
  using namespace data::h5;
  Hid f(CZ_CHECK_H5(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), file, "/"),
        H5Fclose);
  write_attr_string(f, "format", kFormat, file);
  write_attr_int64(f, "format_version", kFormatVersion, file);
  write_attr_int64(f, "step", c.step, file);
  write_attr_uint64(f, "seed", c.seed, file);
  write_attr_int64(f, "ranks", c.ranks, file);
  write_attr_string(f, "algorithm", c.algorithm, file);
  write_attr_string(f, "model", c.model, file);
  write_attr_string(f, "version", c.version, file);
  write_attr_string(f, "optimizer", c.optimizer, file);
  write_attr_int64(f, "optimizer_steps", c.optimizer_steps, file);
  write_attr_int64(f, "checksum", crc, file);
  std::vector<std::string> keys, values;
  for (const auto& [key, value] : c.config) {
    keys.push_back(key);
    values.push_back(value);
  }
  write_strings(f, "/config/keys", keys, file);
  write_strings(f, "/config/values", values, file);
  write_named(f, "/params", "/param_names", c.params, file);
  write_named(f, "/optimizer", "/optimizer_names", c.optimizer_state, file);
  if (c.store) write_store(f, *c.store, file);
  if (!c.state.empty()) write_named(f, "/state", "/state_names", c.state, file);
  CZ_CHECK_H5(H5Fclose(f.release()), file, "/");  // flushes; checked, unlike the Hid's close
}

/// The checkpoint and its stored CRC. Throws CheckpointError when it is not one of ours,
/// data::StoreError when it is damaged.
std::pair<Checkpoint, int64_t> read_h5(const std::string& file) {
  using namespace data::h5;
  if (H5Fis_hdf5(file.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw CheckpointError(file + ": not a cezanne checkpoint (not an HDF5 file)");
  }
  Hid f(CZ_CHECK_H5(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), file, "/"), H5Fclose);
  if (!has_attr(f, "format") || read_attr_string(f, "format", file) != kFormat)
    throw CheckpointError(file + ": not a cezanne checkpoint (no format = '" + kFormat + "')");
  const int64_t version = read_attr_int64(f, "format_version", file);
  if (version != kFormatVersion) {
    throw CheckpointError(file + ": cannot read checkpoint: format version " +
                          std::to_string(version) + " (this cezanne reads version " +
                          std::to_string(kFormatVersion) + ")");
  }
  Checkpoint c;
  c.step = read_attr_int64(f, "step", file);
  c.seed = read_attr_uint64(f, "seed", file);
  c.ranks = read_attr_int64(f, "ranks", file);
  c.algorithm = read_attr_string(f, "algorithm", file);
  c.model = read_attr_string(f, "model", file);
  c.version = read_attr_string(f, "version", file);
  c.optimizer = read_attr_string(f, "optimizer", file);
  c.optimizer_steps = read_attr_int64(f, "optimizer_steps", file);
  const auto keys = read_strings(f, "/config/keys", -1, file);
  const auto values = read_strings(f, "/config/values", static_cast<int64_t>(keys.size()), file);
  for (size_t i = 0; i < keys.size(); ++i) c.config.emplace_back(keys[i], values[i]);
  c.params = read_named(f, "/params", "/param_names", file);
  c.optimizer_state = read_named(f, "/optimizer", "/optimizer_names", file);
  c.store = read_store(f, file);
  if (H5Lexists(f, "/state", H5P_DEFAULT) > 0) c.state = read_named(f, "/state", "/state_names", file);
  return {std::move(c), read_attr_int64(f, "checksum", file)};
}

// --- files ----------------------------------------------------------------------------------

/// Entries must be defined, and named non-empty, unique, without '/' or NUL.
void check_entries(const Named& entries, const char* what, const std::string& file) {
  std::set<std::string> seen;
  for (const auto& [name, t] : entries) {
    if (name.empty() || name.find_first_of(std::string("/\0", 2)) != std::string::npos)
      throw cannot_write(file, std::string(what) + " name '" + name + "' is empty or has '/'");
    if (!seen.insert(name).second)
      throw cannot_write(file, std::string(what) + " name '" + name + "' appears twice");
    if (!t.defined()) throw cannot_write(file, std::string(what) + " '" + name + "' is undefined");
  }
}

/// Contiguous CPU copies of (handles to) the tensors.
Named on_cpu(const Named& entries) {
  Named out;
  for (const auto& [name, t] : entries) out.emplace_back(name, t.to(Device::cpu()).contiguous());
  return out;
}

constexpr std::string_view kFilePrefix = "checkpoint-";
constexpr std::string_view kFileSuffix = ".h5";

std::string file_name(int64_t step) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "checkpoint-%08lld.h5", static_cast<long long>(step));
  return buffer;
}

/// The step of a "checkpoint-<8 or more digits>.h5" name; -1 for any other name.
int64_t step_of(const std::string& name) {
  if (name.size() < kFilePrefix.size() + 8 + kFileSuffix.size() || !name.starts_with(kFilePrefix) ||
      !name.ends_with(kFileSuffix))
    return -1;
  const char* begin = name.data() + kFilePrefix.size();
  const char* end = name.data() + name.size() - kFileSuffix.size();
  int64_t step = -1;
  if (!std::isdigit(static_cast<unsigned char>(*begin))) return -1;
  const auto [ptr, ec] = std::from_chars(begin, end, step);
  return ec == std::errc() && ptr == end ? step : -1;
}

}  // namespace

void write_checkpoint(const fs::path& path, const Checkpoint& c) {
  const std::string file = path.string();
  if (c.step < 0) throw cannot_write(file, "step " + std::to_string(c.step) + " < 0");
  if (c.ranks < 1) throw cannot_write(file, "ranks " + std::to_string(c.ranks) + " < 1");
  if (c.optimizer_steps < 0)
    throw cannot_write(file, "optimizer_steps " + std::to_string(c.optimizer_steps) + " < 0");
  check_entries(c.params, "parameter", file);
  check_entries(c.optimizer_state, "optimizer state", file);
  check_entries(c.state, "state", file);
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw cannot_write(
        file, dir.string() + (fs::exists(dir, ec) ? " is not a directory" : " does not exist"));
  }

  Checkpoint cpu = c;
  cpu.params = on_cpu(c.params);
  cpu.optimizer_state = on_cpu(c.optimizer_state);
  cpu.state = on_cpu(c.state);
  const int64_t crc = content_crc(cpu);

  const fs::path tmp = file + ".tmp-" + std::to_string(::getpid());
  const auto fail = [&](const std::string& detail) {
    fs::remove(tmp, ec);
    return cannot_write(file, detail);
  };
  try {
    data::h5::IoThread::instance().run([&] { write_h5(tmp.string(), cpu, crc); });
  } catch (const std::exception& e) {
    throw fail(without_file(e.what(), tmp.string()));
  }
  if (const auto error = data::h5::fsync_error(tmp, false); !error.empty()) throw fail(error);
  fs::rename(tmp, path, ec);
  if (ec) throw fail("cannot rename " + tmp.string() + " over it: " + ec.message());
  if (const auto error = data::h5::fsync_error(dir, true); !error.empty())
    throw CheckpointError(file + ": written, but " + error);
}

Checkpoint read_checkpoint(const fs::path& path) {
  const std::string file = path.string();
  if (::access(file.c_str(), R_OK) != 0)
    throw CheckpointError(file + ": cannot read checkpoint: " + std::strerror(errno));
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0)
    throw damaged(file, "empty file");
  std::pair<Checkpoint, int64_t> read;
  try {
    read = data::h5::IoThread::instance().run([&] { return read_h5(file); });
  } catch (const data::StoreError& e) {
    throw damaged(file, without_file(e.what(), file));
  }
  const int64_t computed = content_crc(read.first);  // off the I/O thread
  if (computed != read.second) {
    throw damaged(file, "content checksum mismatch (stored " + std::to_string(read.second) +
                            ", computed " + std::to_string(computed) + ")");
  }
  return std::move(read.first);
}

CheckpointDir::CheckpointDir(fs::path dir, int keep) : dir_(std::move(dir)), keep_(keep) {
  if (keep < 1)
    throw std::invalid_argument("CheckpointDir: keep must be >= 1 (got " + std::to_string(keep) +
                                ")");
}

fs::path CheckpointDir::save(const Checkpoint& c) const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    throw CheckpointError(dir_.string() + ": cannot create checkpoint directory: " + ec.message());
  const fs::path path = dir_ / file_name(c.step);
  write_checkpoint(path, c);
  int kept = 1;
  for (const auto& old : list()) {
    if (old == path) continue;
    if (kept < keep_) {
      ++kept;
      continue;
    }
    fs::remove(old, ec);
    if (ec) throw CheckpointError(old.string() + ": cannot remove old checkpoint: " + ec.message());
  }
  return path;
}

std::vector<fs::path> CheckpointDir::list() const {
  std::vector<std::pair<int64_t, fs::path>> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; it != end; it.increment(ec)) {
    const int64_t step = step_of(it->path().filename().string());
    std::error_code type_ec;
    if (step >= 0 && it->is_regular_file(type_ec)) found.emplace_back(step, it->path());
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw CheckpointError(dir_.string() + ": cannot list checkpoints: " + ec.message());
  std::sort(found.begin(), found.end(), std::greater<>());
  std::vector<fs::path> files;
  for (auto& [step, file] : found) files.push_back(std::move(file));
  return files;
}

std::optional<std::pair<fs::path, Checkpoint>> CheckpointDir::load_newest(
    std::vector<std::string>* warnings) const {
  const auto files = list();
  for (size_t i = 0; i < files.size(); ++i) {
    try {
      return std::make_pair(files[i], read_checkpoint(files[i]));
    } catch (const CheckpointError& e) {
      if (warnings == nullptr) continue;
      std::string detail = without_file(e.what(), files[i].string());
      const std::string kDamaged = "damaged checkpoint: ";
      if (detail.starts_with(kDamaged)) detail = detail.substr(kDamaged.size());
      warnings->push_back(
          files[i].string() + ": damaged checkpoint (" + detail + "); " +
          (i + 1 < files.size() ? "using the previous one" : "no older checkpoint left"));
    }
  }
  return std::nullopt;
}

}  // namespace cz::train
