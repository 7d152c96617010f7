// Store: reads and validates the manifest and shards at open; serves whole classes by one
// hyperslab read each, on the data module's I/O thread, through a byte-bounded LRU cache.
#include "cezanne/data/Store.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "LruCache.hpp"
#include "Sha256.hpp"
#include "cezanne/data/H5.hpp"
#include "cezanne/data/StoreError.hpp"

namespace cz::data {

namespace fs = std::filesystem;
using h5::Hid;

namespace {
// Open shard files kept by the I/O thread: half the process's file-descriptor limit, within
// [16, 1024], so that a store of hundreds of shards read at random is not reopened on every class.
size_t max_open_shards() {
  rlimit limit{};
  const rlim_t soft = getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur : 64;
  return static_cast<size_t>(std::clamp<rlim_t>(soft / 2, 16, 1024));
}
constexpr int64_t kFormatVersion = 1;

Hid open_read_only(const fs::path& path) {
  const std::string file = path.string();
  return Hid(CZ_CHECK_H5(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), file, "/"), H5Fclose);
}

Hid open_examples(hid_t f, const std::string& file) {
  if (H5Lexists(f, "examples", H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw StoreError(file + ": /examples: missing dataset");
  }
  // Whole classes land in our own cache; HDF5's chunk cache would only hold a second copy.
  Hid dapl(CZ_CHECK_H5(H5Pcreate(H5P_DATASET_ACCESS), file, "/examples"), H5Pclose);
  CZ_CHECK_H5(
      H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, H5D_CHUNK_CACHE_W0_DEFAULT), file,
      "/examples");
  return Hid(CZ_CHECK_H5(H5Dopen2(f, "/examples", dapl), file, "/examples"), H5Dclose);
}

bool plain_file_name(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos && name != "." && name != "..";
}
}  // namespace

struct Store::Impl {
  fs::path dir;
  Options options;
  ImageShape shape{};
  StoreMetadata metadata;
  std::vector<DomainInfo> domains;
  std::vector<ClassInfo> classes;
  std::vector<ShardInfo> shards;
  std::vector<std::vector<int64_t>> shard_offsets;  // class_offsets of each shard

  // I/O thread only.
  struct OpenShard {
    Hid file, examples;
  };
  detail::LruCache<int32_t, OpenShard> open_shards{max_open_shards()};  // "bytes": 1 per shard

  // Guarded by mutex.
  mutable std::mutex mutex;
  detail::LruCache<int64_t, std::vector<uint8_t>> cache{0};
  std::unordered_map<int64_t, std::shared_future<std::shared_ptr<const std::vector<uint8_t>>>>
      inflight;

  std::string shard_path(int32_t s) const {
    return (dir / shards[static_cast<size_t>(s)].name).string();
  }
  void read_manifest();
  void validate_shard(int32_t s);
  std::shared_ptr<const OpenShard> shard_handle(int32_t s);
  std::shared_ptr<const std::vector<uint8_t>> load(int64_t c);
  void read_examples(hid_t dset, int64_t start, int64_t count, uint8_t* out,
                     const std::string& file, const std::string& what);
};

void Store::Impl::read_manifest() {
  const fs::path manifest_path = dir / "manifest.h5";
  const std::string file = manifest_path.string();
  Hid f = open_read_only(manifest_path);
  if (!h5::has_attr(f, "format") || h5::read_attr_string(f, "format", file) != "cezanne-store") {
    throw StoreError("not a cezanne store: " + dir.string() +
                     " (manifest.h5 has no format = \"cezanne-store\")");
  }
  if (h5::has_attr(f, "attributes_sha256")) {
    const std::string recorded = h5::read_attr_string(f, "attributes_sha256", file);
    if (h5::attributes_sha256(f, "attributes_sha256", file) != recorded) {
      throw StoreError(file + ": attributes do not match their checksum attributes_sha256 " +
                       "(damaged or edited manifest)");
    }
  }
  metadata.format_version = h5::read_attr_int64(f, "format_version", file);
  if (metadata.format_version != kFormatVersion) {
    throw StoreError(file + ": unsupported format_version " +
                     std::to_string(metadata.format_version) + " (this build reads " +
                     std::to_string(kFormatVersion) + ")");
  }
  metadata.provenance.source = h5::read_attr_string(f, "source", file);
  metadata.provenance.command = h5::read_attr_string(f, "command", file);
  metadata.provenance.code_version = h5::read_attr_string(f, "code_version", file);
  metadata.created = h5::read_attr_string(f, "created", file);
  if (h5::has_attr(f, "inputs"))
    metadata.provenance.inputs = h5::read_attr_string(f, "inputs", file);
  if (h5::has_attr(f, "store_id")) metadata.store_id = h5::read_attr_string(f, "store_id", file);
  if (h5::has_attr(f, "examples_sha256"))
    metadata.examples_sha256 = h5::read_attr_string(f, "examples_sha256", file);
  if (h5::has_attr(f, "pixel_mean") && h5::has_attr(f, "border_mean")) {
    metadata.ink = InkStats{h5::read_attr_double(f, "pixel_mean", file),
                            h5::read_attr_double(f, "border_mean", file)};
  }
  metadata.split_by = h5::has_attr(f, "split_by") ? h5::read_attr_string(f, "split_by", file) : "";
  metadata.compression = h5::has_attr(f, "compression")
                             ? static_cast<int>(h5::read_attr_int64(f, "compression", file))
                             : 0;
  shape = {h5::read_attr_int64(f, "height", file), h5::read_attr_int64(f, "width", file),
           h5::read_attr_int64(f, "channels", file)};
  if (shape.height < 1 || shape.width < 1 || shape.channels < 1)
    throw StoreError(file + ": invalid image shape");

  const auto domain_names = h5::read_strings(f, "/domains/name", -1, file);
  const auto n_domains = static_cast<int64_t>(domain_names.size());
  const auto domain_splits = h5::read_vector<uint8_t>(f, "/domains/split", n_domains, file);
  const auto class_names = h5::read_strings(f, "/classes/name", -1, file);
  const auto n_classes = static_cast<int64_t>(class_names.size());
  const auto class_domains = h5::read_vector<int32_t>(f, "/classes/domain", n_classes, file);
  const auto class_splits = h5::read_vector<uint8_t>(f, "/classes/split", n_classes, file);
  const auto class_examples = h5::read_vector<int64_t>(f, "/classes/num_examples", n_classes, file);
  const auto class_shards = h5::read_vector<int32_t>(f, "/classes/shard", n_classes, file);
  const auto shard_names = h5::read_strings(f, "/shards/name", -1, file);
  const auto n_shards = static_cast<int64_t>(shard_names.size());
  const auto shard_first = h5::read_vector<int64_t>(f, "/shards/first_class", n_shards, file);
  const auto shard_classes = h5::read_vector<int64_t>(f, "/shards/num_classes", n_shards, file);
  const auto shard_bytes = h5::read_vector<int64_t>(f, "/shards/bytes", n_shards, file);
  std::vector<int64_t> shard_examples(static_cast<size_t>(n_shards), -1);
  if (H5Lexists(f, "/shards/num_examples", H5P_DEFAULT) > 0) {
    shard_examples = h5::read_vector<int64_t>(f, "/shards/num_examples", n_shards, file);
  }
  H5Eclear2(H5E_DEFAULT);

  for (int64_t d = 0; d < n_domains; ++d) {
    const auto i = static_cast<size_t>(d);
    if (domain_splits[i] >= kNumSplits)
      throw StoreError(file + ": /domains/split: invalid split at " + std::to_string(d));
    domains.push_back({domain_names[i], static_cast<Split>(domain_splits[i])});
  }
  for (int64_t c = 0; c < n_classes; ++c) {
    const auto i = static_cast<size_t>(c);
    const std::string where = " (class " + std::to_string(c) + " '" + class_names[i] + "')";
    if (class_domains[i] < 0 || class_domains[i] >= n_domains)
      throw StoreError(file + ": /classes/domain: out of range" + where);
    if (class_splits[i] >= kNumSplits)
      throw StoreError(file + ": /classes/split: invalid split" + where);
    if (class_examples[i] < 1)
      throw StoreError(file + ": /classes/num_examples: not positive" + where);
    if (class_shards[i] < 0 || class_shards[i] >= n_shards)
      throw StoreError(file + ": /classes/shard: out of range" + where);
    classes.push_back({class_names[i], class_domains[i], static_cast<Split>(class_splits[i]),
                       class_examples[i], class_shards[i]});
  }
  int64_t next_class = 0;
  for (int64_t s = 0; s < n_shards; ++s) {
    const auto i = static_cast<size_t>(s);
    const std::string where = " (shard " + std::to_string(s) + " '" + shard_names[i] + "')";
    if (!plain_file_name(shard_names[i]))
      throw StoreError(file + ": /shards/name: not a plain file name" + where);
    if (shard_first[i] != next_class || shard_classes[i] < 1 ||
        shard_first[i] + shard_classes[i] > n_classes) {
      throw StoreError(file + ": /shards: class ranges are not contiguous" + where);
    }
    int64_t examples = 0;
    for (int64_t c = shard_first[i]; c < shard_first[i] + shard_classes[i]; ++c) {
      if (classes[static_cast<size_t>(c)].shard != s)
        throw StoreError(file + ": /classes/shard disagrees with /shards" + where);
      examples += classes[static_cast<size_t>(c)].num_examples;
    }
    if (shard_examples[i] >= 0 && shard_examples[i] != examples) {
      throw StoreError(file + ": /shards/num_examples disagrees with /classes/num_examples" +
                       where);
    }
    next_class += shard_classes[i];
    shards.push_back({shard_names[i], shard_first[i], shard_classes[i], examples, shard_bytes[i]});
  }
  if (next_class != n_classes)
    throw StoreError(file + ": /shards do not cover all " + std::to_string(n_classes) + " classes");
  if (n_classes == 0) throw StoreError(file + ": the store has no classes");
}

void Store::Impl::validate_shard(int32_t s) {
  const ShardInfo& info = shards[static_cast<size_t>(s)];
  const fs::path path = dir / info.name;
  const std::string file = path.string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw StoreError(file + ": missing shard (manifest.h5 lists it with classes " +
                     std::to_string(info.first_class) + ".." +
                     std::to_string(info.first_class + info.num_classes - 1) + ")");
  }
  const auto size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec || size != info.bytes) {
    throw StoreError(file + ": file is " + std::to_string(size) + " bytes but manifest.h5 says " +
                     std::to_string(info.bytes) + " (truncated or replaced)");
  }
  Hid f = open_read_only(path);
  if (!metadata.store_id.empty()) {
    const std::string id =
        h5::has_attr(f, "store_id") ? h5::read_attr_string(f, "store_id", file) : "";
    if (id != metadata.store_id) {
      throw StoreError(file + ": belongs to store " + (id.empty() ? "(none recorded)" : id) +
                       ", not to this one (" + metadata.store_id + "): a shard of another store?");
    }
  }
  const int64_t first = h5::read_attr_int64(f, "first_class", file);
  const int64_t count = h5::read_attr_int64(f, "num_classes", file);
  if (first != info.first_class || count != info.num_classes) {
    throw StoreError(file + ": holds classes " + std::to_string(first) + ".." +
                     std::to_string(first + count - 1) + " but manifest.h5 says " +
                     std::to_string(info.first_class) + ".." +
                     std::to_string(info.first_class + info.num_classes - 1));
  }
  auto offsets = h5::read_vector<int64_t>(f, "/class_offsets", info.num_classes + 1, file);
  if (offsets[0] != 0) throw StoreError(file + ": /class_offsets: does not start at 0");
  for (int64_t k = 0; k < info.num_classes; ++k) {
    const ClassInfo& c = classes[static_cast<size_t>(info.first_class + k)];
    const int64_t n = offsets[static_cast<size_t>(k) + 1] - offsets[static_cast<size_t>(k)];
    if (n != c.num_examples) {
      throw StoreError(file + ": /class_offsets: class " + std::to_string(info.first_class + k) +
                       " '" + c.name + "' has " + std::to_string(n) +
                       " examples but manifest.h5 says " + std::to_string(c.num_examples));
    }
  }
  Hid examples = open_examples(f, file);
  const auto dims = h5::dataset_dims(examples, "/examples", file);
  const std::vector<hsize_t> expected{
      static_cast<hsize_t>(offsets.back()), static_cast<hsize_t>(shape.height),
      static_cast<hsize_t>(shape.width), static_cast<hsize_t>(shape.channels)};
  if (dims != expected) {
    auto show = [](const std::vector<hsize_t>& d) {
      std::string out = "[";
      for (size_t i = 0; i < d.size(); ++i) out += (i ? ", " : "") + std::to_string(d[i]);
      return out + "]";
    };
    throw StoreError(file + ": /examples: shape " + show(dims) + " but manifest.h5 implies " +
                     show(expected));
  }
  Hid type(CZ_CHECK_H5(H5Dget_type(examples), file, "/examples"), H5Tclose);
  // Every reader maps a byte b to b / 255 in [0, 1] (what the VAE's Bernoulli likelihood needs):
  // HDF5 would convert float or signed examples to uint8 silently, clipping them.
  if (H5Tget_class(type) != H5T_INTEGER || H5Tget_size(type) != 1 || H5Tget_sign(type) != H5T_SGN_NONE)
    throw StoreError(file + ": /examples: not uint8");
  shard_offsets[static_cast<size_t>(s)] = std::move(offsets);
}

std::shared_ptr<const Store::Impl::OpenShard> Store::Impl::shard_handle(int32_t s) {
  if (auto open = open_shards.get(s)) return open;
  const std::string file = shard_path(s);
  auto handle = std::make_shared<OpenShard>();
  handle->file = open_read_only(file);
  handle->examples = open_examples(handle->file, file);
  open_shards.put(s, handle, 1);  // evicts the least recently read shard past the bound
  return handle;
}

void Store::Impl::read_examples(hid_t dset, int64_t start, int64_t count, uint8_t* out,
                                const std::string& file, const std::string& what) {
  const hsize_t offset[4] = {static_cast<hsize_t>(start), 0, 0, 0};
  const hsize_t extent[4] = {static_cast<hsize_t>(count), static_cast<hsize_t>(shape.height),
                             static_cast<hsize_t>(shape.width),
                             static_cast<hsize_t>(shape.channels)};
  Hid filespace(CZ_CHECK_H5(H5Dget_space(dset), file, "/examples"), H5Sclose);
  CZ_CHECK_H5(H5Sselect_hyperslab(filespace, H5S_SELECT_SET, offset, nullptr, extent, nullptr),
              file, "/examples");
  Hid memspace(CZ_CHECK_H5(H5Screate_simple(4, extent, nullptr), file, "/examples"), H5Sclose);
  if (H5Dread(dset, H5T_NATIVE_UINT8, memspace, filespace, H5P_DEFAULT, out) < 0) {
    const std::string detail = h5::error_detail();
    throw StoreError(file + ": /examples: checksum mismatch or corrupt data (" + what + ")" +
                     (detail.empty() ? "" : ": " + detail));
  }
}

std::shared_ptr<const std::vector<uint8_t>> Store::Impl::load(int64_t c) {
  const ClassInfo& info = classes[static_cast<size_t>(c)];
  const ShardInfo& shard = shards[static_cast<size_t>(info.shard)];
  const int64_t start =
      shard_offsets[static_cast<size_t>(info.shard)][static_cast<size_t>(c - shard.first_class)];
  auto data = std::make_shared<std::vector<uint8_t>>(
      static_cast<size_t>(info.num_examples * shape.height * shape.width * shape.channels));
  const std::shared_ptr<const OpenShard> handle = shard_handle(info.shard);
  read_examples(handle->examples, start, info.num_examples, data->data(), shard_path(info.shard),
                "class " + std::to_string(c) + " '" + info.name + "'");
  return data;
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() {
  if (impl_) {
    try {
      h5::IoThread::instance().run([this] { impl_->open_shards.clear(); });
    } catch (...) {  // closing read-only files cannot lose data
    }
  }
}

std::shared_ptr<Store> Store::open(const fs::path& dir) { return open(dir, Options{}); }

std::shared_ptr<Store> Store::open(const fs::path& dir_in, Options options) {
  fs::path dir = fs::absolute(dir_in).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  std::error_code ec;
  if (!fs::exists(dir, ec))
    throw StoreError("not a cezanne store: " + dir.string() + " (does not exist)");
  if (!fs::is_directory(dir, ec))
    throw StoreError("not a cezanne store: " + dir.string() + " (not a directory)");
  if (!fs::exists(dir / "manifest.h5", ec))
    throw StoreError("not a cezanne store: " + dir.string() + " (no manifest.h5)");
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = options;
  impl->cache = detail::LruCache<int64_t, std::vector<uint8_t>>(options.cache_bytes);
  h5::IoThread::instance().run([&] {
    impl->read_manifest();
    impl->shard_offsets.resize(impl->shards.size());
    for (size_t s = 0; s < impl->shards.size(); ++s) impl->validate_shard(static_cast<int32_t>(s));
  });
  return std::shared_ptr<Store>(new Store(std::move(impl)));
}

ImageShape Store::shape() const { return impl_->shape; }
const std::vector<DomainInfo>& Store::domains() const { return impl_->domains; }
const std::vector<ClassInfo>& Store::classes() const { return impl_->classes; }
const std::vector<ShardInfo>& Store::shards() const { return impl_->shards; }
const StoreMetadata& Store::metadata() const { return impl_->metadata; }
const fs::path& Store::path() const { return impl_->dir; }

std::vector<int64_t> Store::classes_in(Split split) const {
  std::vector<int64_t> out;
  for (size_t c = 0; c < impl_->classes.size(); ++c) {
    if (impl_->classes[c].split == split) out.push_back(static_cast<int64_t>(c));
  }
  return out;
}

std::vector<int64_t> Store::classes_in(Split split, int32_t domain) const {
  std::vector<int64_t> out;
  for (size_t c = 0; c < impl_->classes.size(); ++c) {
    if (impl_->classes[c].split == split && impl_->classes[c].domain == domain)
      out.push_back(static_cast<int64_t>(c));
  }
  return out;
}

std::vector<int32_t> Store::domains_in(Split split) const {
  std::vector<bool> has(impl_->domains.size(), false);
  for (const ClassInfo& c : impl_->classes) {
    if (c.split == split) has[static_cast<size_t>(c.domain)] = true;
  }
  std::vector<int32_t> out;
  for (size_t d = 0; d < has.size(); ++d) {
    if (has[d]) out.push_back(static_cast<int32_t>(d));
  }
  return out;
}

std::shared_ptr<const std::vector<uint8_t>> Store::read_class(int64_t class_index) {
  Impl& s = *impl_;
  if (class_index < 0 || class_index >= static_cast<int64_t>(s.classes.size())) {
    throw StoreError("Store::read_class: " + s.dir.string() + ": class index " +
                     std::to_string(class_index) + " out of range [0, " +
                     std::to_string(s.classes.size()) + ")");
  }
  std::shared_future<std::shared_ptr<const std::vector<uint8_t>>> pending;
  bool owner = false;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (auto hit = s.cache.get(class_index)) return hit;
    auto it = s.inflight.find(class_index);
    if (it != s.inflight.end()) {
      pending = it->second;
    } else {
      pending = h5::IoThread::instance()
                    .submit([&s, class_index] { return s.load(class_index); })
                    .share();
      s.inflight.emplace(class_index, pending);
      owner = true;
    }
  }
  std::shared_ptr<const std::vector<uint8_t>> data;
  try {
    data = pending.get();
  } catch (...) {
    if (owner) {
      std::lock_guard<std::mutex> lock(s.mutex);
      s.inflight.erase(class_index);
    }
    throw;
  }
  if (owner) {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.cache.put(class_index, data, data->size());
    s.inflight.erase(class_index);
  }
  return data;
}

size_t Store::cached_bytes() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->cache.size_bytes();
}

int64_t Store::verify() const {
  Impl& s = *impl_;
  return h5::IoThread::instance().run([&s] {
    int64_t datasets = 0;
    const fs::path manifest_path = s.dir / "manifest.h5";
    const std::string manifest = manifest_path.string();
    Hid f = open_read_only(manifest_path);
    for (const char* name : {"/domains/name", "/classes/name", "/shards/name"}) {
      h5::read_strings(f, name, -1, manifest);
      ++datasets;
    }
    for (const char* name : {"/domains/split", "/classes/split"}) {
      h5::read_vector<uint8_t>(f, name, -1, manifest);
      ++datasets;
    }
    for (const char* name : {"/classes/domain", "/classes/shard"}) {
      h5::read_vector<int32_t>(f, name, -1, manifest);
      ++datasets;
    }
    for (const char* name : {"/classes/num_examples", "/shards/first_class", "/shards/num_classes",
                             "/shards/bytes", "/shards/num_examples"}) {
      if (H5Lexists(f, name, H5P_DEFAULT) <= 0) continue;
      h5::read_vector<int64_t>(f, name, -1, manifest);
      ++datasets;
    }
    detail::Sha256 examples_hash;  // shards hold the classes in order
    for (size_t k = 0; k < s.shards.size(); ++k) {
      const ShardInfo& shard = s.shards[k];
      const std::string file = (s.dir / shard.name).string();
      Hid sf = open_read_only(file);
      h5::read_vector<int64_t>(sf, "/class_offsets", shard.num_classes + 1, file);
      Hid examples = open_examples(sf, file);
      std::vector<uint8_t> buffer;
      int64_t start = 0;
      for (int64_t c = shard.first_class; c < shard.first_class + shard.num_classes; ++c) {
        const ClassInfo& info = s.classes[static_cast<size_t>(c)];
        buffer.resize(static_cast<size_t>(info.num_examples * s.shape.height * s.shape.width *
                                          s.shape.channels));
        s.read_examples(examples, start, info.num_examples, buffer.data(), file,
                        "class " + std::to_string(c) + " '" + info.name + "'");
        examples_hash.update(buffer.data(), buffer.size());
        start += info.num_examples;
      }
      datasets += 2;
    }
    const std::string& recorded = s.metadata.examples_sha256;
    if (!recorded.empty()) {
      const std::string actual = examples_hash.hex();
      if (actual != recorded) {
        throw StoreError(manifest + ": the shards' examples hash to " + actual.substr(0, 12) +
                         "..., not the examples_sha256 " + recorded.substr(0, 12) +
                         "... recorded (a shard of another store?)");
      }
    }
    return datasets;
  });
}

}  // namespace cz::data
