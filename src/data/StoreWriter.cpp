// StoreWriter: buffers one shard of classes, writes it with Fletcher32 on every dataset, then
// writes the manifest and renames the temporary directory into place.
#include "cezanne/data/StoreWriter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <system_error>
#include <vector>

#include "Sha256.hpp"
#include "cezanne/data/H5.hpp"
#include "cezanne/data/StoreError.hpp"

namespace cz::data {

namespace fs = std::filesystem;
using h5::Hid;

namespace {

constexpr int64_t kFormatVersion = 1;
constexpr int64_t kMaxChunkBytes = 1 << 20;

std::string iso_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

void fsync_path(const fs::path& path, bool directory) {
  if (const std::string error = h5::fsync_error(path, directory); !error.empty())
    throw StoreError(error);
}

/// 128 random bits as 32 hex digits: a store's identity, carried by its manifest and shards.
std::string random_id() {
  std::random_device device;
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08x%08x%08x%08x", device(), device(), device(), device());
  return buffer;
}

std::string shard_name(size_t index) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "shard-%05zu.h5", index);
  return buffer;
}

}  // namespace

struct StoreWriter::Impl {
  fs::path out, partial;
  ImageShape shape{};
  Provenance provenance;
  StoreWriterOptions options;
  int64_t example_bytes = 0;
  bool finished = false;

  std::string store_id;  // random, in the manifest and in every shard
  std::vector<std::string> domain_names;
  std::vector<uint8_t> domain_splits;

  std::vector<std::string> class_names;
  std::vector<int32_t> class_domains;
  std::vector<uint8_t> class_splits;
  std::vector<int64_t> class_examples;
  std::vector<int32_t> class_shards;
  bool any_explicit_split = false;

  std::vector<std::string> shard_names;
  std::vector<int64_t> shard_first_class, shard_num_classes, shard_num_examples, shard_bytes;

  // Over every example added, in class order: the content hash and the pixel sums of InkStats.
  detail::Sha256 examples_hash;
  uint64_t pixel_sum = 0, border_sum = 0, pixel_count = 0, border_count = 0;

  // The shard being filled.
  std::vector<uint8_t> buffer;
  std::vector<int64_t> buffer_counts;
  int64_t buffer_first_class = 0;

  void flush_shard();
  void write_manifest();
  void add_to_stats(const uint8_t* examples, int64_t count);
};

void StoreWriter::Impl::add_to_stats(const uint8_t* examples, int64_t count) {
  examples_hash.update(examples, static_cast<size_t>(count * example_bytes));
  const int64_t h = shape.height, w = shape.width, c = shape.channels;
  for (int64_t e = 0; e < count; ++e) {
    const uint8_t* image = examples + e * example_bytes;
    for (int64_t y = 0; y < h; ++y) {
      const uint8_t* row = image + y * w * c;
      uint64_t row_sum = 0, ring_sum = 0;
      for (int64_t i = 0; i < w * c; ++i) row_sum += row[i];
      if (y == 0 || y == h - 1) {
        ring_sum = row_sum;
        border_count += static_cast<uint64_t>(w * c);
      } else {
        for (int64_t k = 0; k < c; ++k) ring_sum += row[k] + (w > 1 ? row[(w - 1) * c + k] : 0);
        border_count += static_cast<uint64_t>((w > 1 ? 2 : 1) * c);
      }
      pixel_sum += row_sum;
      border_sum += ring_sum;
    }
  }
  pixel_count += static_cast<uint64_t>(count * example_bytes);
}

void StoreWriter::Impl::flush_shard() {
  if (buffer_counts.empty()) return;
  const std::string name = shard_name(shard_names.size());
  const fs::path file_path = partial / name;
  const int64_t n = static_cast<int64_t>(buffer.size()) / example_bytes;
  const int64_t num_classes = static_cast<int64_t>(buffer_counts.size());
  std::vector<int64_t> offsets(buffer_counts.size() + 1, 0);
  for (size_t i = 0; i < buffer_counts.size(); ++i) offsets[i + 1] = offsets[i] + buffer_counts[i];
  // A chunk holds one class (the largest here) or as much of it as fits in ~1 MiB.
  const int64_t largest = *std::max_element(buffer_counts.begin(), buffer_counts.end());
  const int64_t chunk_rows =
      std::max<int64_t>(1, std::min(largest, kMaxChunkBytes / example_bytes));

  h5::IoThread::instance().run([&] {
    const std::string& file = file_path.string();
    Hid f(CZ_CHECK_H5(H5Fcreate(file.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT), file, "/"),
          H5Fclose);
    const std::vector<hsize_t> dims{static_cast<hsize_t>(n), static_cast<hsize_t>(shape.height),
                                    static_cast<hsize_t>(shape.width),
                                    static_cast<hsize_t>(shape.channels)};
    const std::vector<hsize_t> chunk{static_cast<hsize_t>(chunk_rows), dims[1], dims[2], dims[3]};
    h5::write_dataset<uint8_t>(f, "/examples", buffer.data(), dims, chunk, options.compression,
                               file);
    h5::write_vector<int64_t>(f, "/class_offsets", offsets, file);
    h5::write_attr_string(f, "format", "cezanne-shard", file);
    h5::write_attr_int64(f, "format_version", kFormatVersion, file);
    h5::write_attr_int64(f, "first_class", buffer_first_class, file);
    h5::write_attr_int64(f, "num_classes", num_classes, file);
    h5::write_attr_string(f, "store_id", store_id, file);
    CZ_CHECK_H5(H5Fclose(f.release()), file, "/");
  });
  fsync_path(file_path, false);

  shard_names.push_back(name);
  shard_first_class.push_back(buffer_first_class);
  shard_num_classes.push_back(num_classes);
  shard_num_examples.push_back(n);
  shard_bytes.push_back(static_cast<int64_t>(fs::file_size(file_path)));
  buffer.clear();
  buffer.shrink_to_fit();
  buffer_counts.clear();
  buffer_first_class = static_cast<int64_t>(class_names.size());
}

void StoreWriter::Impl::write_manifest() {
  const fs::path manifest = partial / "manifest.h5";
  int64_t total = 0;
  for (int64_t c : class_examples) total += c;
  h5::IoThread::instance().run([&] {
    const std::string& file = manifest.string();
    Hid f(CZ_CHECK_H5(H5Fcreate(file.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT), file, "/"),
          H5Fclose);
    h5::write_attr_string(f, "format", "cezanne-store", file);
    h5::write_attr_int64(f, "format_version", kFormatVersion, file);
    h5::write_attr_string(f, "source", provenance.source, file);
    h5::write_attr_string(f, "command", provenance.command, file);
    h5::write_attr_string(f, "created", iso_now(), file);
    h5::write_attr_string(f, "code_version", provenance.code_version, file);
    h5::write_attr_string(f, "inputs", provenance.inputs, file);
    h5::write_attr_string(f, "examples_sha256", examples_hash.hex(), file);
    h5::write_attr_double(
        f, "pixel_mean",
        static_cast<double>(pixel_sum) / (255.0 * static_cast<double>(pixel_count)), file);
    h5::write_attr_double(
        f, "border_mean",
        static_cast<double>(border_sum) / (255.0 * static_cast<double>(border_count)), file);
    h5::write_attr_int64(f, "height", shape.height, file);
    h5::write_attr_int64(f, "width", shape.width, file);
    h5::write_attr_int64(f, "channels", shape.channels, file);
    h5::write_attr_string(f, "dtype", "uint8", file);
    h5::write_attr_string(f, "split_by", any_explicit_split ? "class" : "domain", file);
    h5::write_attr_int64(f, "compression", options.compression, file);
    h5::write_attr_int64(f, "num_domains", static_cast<int64_t>(domain_names.size()), file);
    h5::write_attr_int64(f, "num_classes", static_cast<int64_t>(class_names.size()), file);
    h5::write_attr_int64(f, "num_examples", total, file);
    h5::write_attr_int64(f, "num_shards", static_cast<int64_t>(shard_names.size()), file);
    h5::write_attr_string(f, "store_id", store_id, file);

    h5::write_strings(f, "/domains/name", domain_names, file);
    h5::write_vector<uint8_t>(f, "/domains/split", domain_splits, file);
    h5::write_strings(f, "/classes/name", class_names, file);
    h5::write_vector<int32_t>(f, "/classes/domain", class_domains, file);
    h5::write_vector<uint8_t>(f, "/classes/split", class_splits, file);
    h5::write_vector<int64_t>(f, "/classes/num_examples", class_examples, file);
    h5::write_vector<int32_t>(f, "/classes/shard", class_shards, file);
    h5::write_strings(f, "/shards/name", shard_names, file);
    h5::write_vector<int64_t>(f, "/shards/first_class", shard_first_class, file);
    h5::write_vector<int64_t>(f, "/shards/num_classes", shard_num_classes, file);
    h5::write_vector<int64_t>(f, "/shards/num_examples", shard_num_examples, file);
    h5::write_vector<int64_t>(f, "/shards/bytes", shard_bytes, file);
    h5::write_attr_string(f, "attributes_sha256",
                          h5::attributes_sha256(f, "attributes_sha256", file), file);
    CZ_CHECK_H5(H5Fclose(f.release()), file, "/");
  });
  fsync_path(manifest, false);
}

StoreWriter::StoreWriter(fs::path out, ImageShape shape, Provenance provenance,
                         StoreWriterOptions options)
    : impl_(std::make_unique<Impl>()) {
  out = fs::absolute(out).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();  // "dir/" -> "dir"
  if (shape.height < 1 || shape.width < 1 || shape.channels < 1) {
    throw StoreError("StoreWriter: " + out.string() + ": image shape must be positive (got " +
                     std::to_string(shape.height) + "x" + std::to_string(shape.width) + "x" +
                     std::to_string(shape.channels) + ")");
  }
  if (options.compression < 0 || options.compression > 9) {
    throw StoreError("StoreWriter: compression must be a gzip level 0-9 (got " +
                     std::to_string(options.compression) + ")");
  }
  if (options.target_shard_bytes < 1)
    throw StoreError("StoreWriter: target shard size must be positive");
  std::error_code ec;
  if (fs::exists(out, ec)) throw StoreError("StoreWriter: " + out.string() + " already exists");
  impl_->out = out;
  impl_->partial = out.string() + ".partial-" + std::to_string(::getpid());
  if (fs::exists(impl_->partial, ec)) {
    throw StoreError("StoreWriter: " + impl_->partial.string() +
                     " already exists (another writer in this process?)");
  }
  fs::create_directories(impl_->partial, ec);
  if (ec)
    throw StoreError("StoreWriter: cannot create " + impl_->partial.string() + ": " + ec.message());
  impl_->shape = shape;
  impl_->provenance = std::move(provenance);
  impl_->options = options;
  impl_->example_bytes = shape.height * shape.width * shape.channels;
  impl_->store_id = random_id();
}

StoreWriter::~StoreWriter() {
  if (impl_ && !impl_->finished) {
    std::error_code ec;
    fs::remove_all(impl_->partial, ec);
  }
}

int32_t StoreWriter::add_domain(const std::string& name, Split split) {
  if (impl_->finished) throw StoreError("StoreWriter::add_domain: writer already finished");
  if (static_cast<uint8_t>(split) >= kNumSplits)
    throw StoreError("StoreWriter::add_domain: invalid split");
  impl_->domain_names.push_back(name);
  impl_->domain_splits.push_back(static_cast<uint8_t>(split));
  return static_cast<int32_t>(impl_->domain_names.size() - 1);
}

int64_t StoreWriter::add_class(int32_t domain, const std::string& name, const uint8_t* examples,
                               int64_t count, std::optional<Split> split) {
  Impl& s = *impl_;
  if (s.finished) throw StoreError("StoreWriter::add_class: writer already finished");
  if (domain < 0 || domain >= static_cast<int32_t>(s.domain_names.size())) {
    throw StoreError("StoreWriter::add_class: class '" + name + "': no domain " +
                     std::to_string(domain));
  }
  if (count < 1) throw StoreError("StoreWriter::add_class: class '" + name + "' has no examples");
  if (examples == nullptr)
    throw StoreError("StoreWriter::add_class: class '" + name + "': null data");
  if (split && static_cast<uint8_t>(*split) >= kNumSplits)
    throw StoreError("StoreWriter::add_class: invalid split");
  const int64_t bytes = count * s.example_bytes;
  if (!s.buffer_counts.empty() &&
      static_cast<int64_t>(s.buffer.size()) + bytes > s.options.target_shard_bytes) {
    s.flush_shard();
  }
  s.buffer.insert(s.buffer.end(), examples, examples + bytes);
  s.add_to_stats(examples, count);
  s.buffer_counts.push_back(count);
  s.class_names.push_back(name);
  s.class_domains.push_back(domain);
  s.class_splits.push_back(split ? static_cast<uint8_t>(*split)
                                 : s.domain_splits[static_cast<size_t>(domain)]);
  s.any_explicit_split = s.any_explicit_split || split.has_value();
  s.class_examples.push_back(count);
  s.class_shards.push_back(static_cast<int32_t>(s.shard_names.size()));
  return static_cast<int64_t>(s.class_names.size() - 1);
}

void StoreWriter::record_inputs(std::string inputs) {
  impl_->provenance.inputs = std::move(inputs);
}

void StoreWriter::finish() {
  Impl& s = *impl_;
  if (s.finished) throw StoreError("StoreWriter::finish: writer already finished");
  if (s.class_names.empty())
    throw StoreError("StoreWriter::finish: " + s.out.string() + ": no classes were added");
  s.flush_shard();
  s.write_manifest();
  fsync_path(s.partial, true);
  std::error_code ec;
  if (fs::exists(s.out, ec))
    throw StoreError("StoreWriter::finish: " + s.out.string() + " appeared while writing");
  fs::rename(s.partial, s.out, ec);
  if (ec) {
    throw StoreError("StoreWriter::finish: cannot rename " + s.partial.string() + " to " +
                     s.out.string() + ": " + ec.message());
  }
  s.finished = true;
  fsync_path(s.out.parent_path(), true);
}

const fs::path& StoreWriter::partial_path() const { return impl_->partial; }
int64_t StoreWriter::num_classes() const { return static_cast<int64_t>(impl_->class_names.size()); }

}  // namespace cz::data
