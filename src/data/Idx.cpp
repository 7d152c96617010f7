// IDX reading (zlib's gzread reads raw and gzip files alike) and the `prepare idx` importer.
#include "cezanne/data/Idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <memory>

#include "cezanne/data/StoreError.hpp"

namespace cz::data {

namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

/// Reads exactly n bytes; false at a premature end. Throws on a zlib error (corrupt gzip).
bool read_exact(gzFile f, void* out, size_t n, const std::string& file) {
  auto* p = static_cast<uint8_t*>(out);
  while (n > 0) {
    const unsigned step = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
    const int got = gzread(f, p, step);
    if (got < 0) {
      int err = 0;
      const char* text = gzerror(f, &err);
      throw StoreError(file + ": corrupt gzip data (" + std::string(text ? text : "zlib error") +
                       ")");
    }
    if (got == 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

bool is_gzip(const std::filesystem::path& file) {
  std::unique_ptr<FILE, int (*)(FILE*)> fp(std::fopen(file.c_str(), "rb"), std::fclose);
  if (!fp) return false;
  unsigned char magic[2] = {0, 0};
  return std::fread(magic, 1, 2, fp.get()) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

}  // namespace

IdxArray read_idx(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw StoreError(file + ": no such IDX file");
  const bool gzip = is_gzip(path);
  GzFile f(gzopen(file.c_str(), "rb"));
  if (!f) throw StoreError(file + ": cannot open");
  std::array<uint8_t, 4> magic{};
  if (!read_exact(f.get(), magic.data(), 4, file))
    throw StoreError(file + ": too short for an IDX header");
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%02x%02x%02x%02x", magic[0], magic[1], magic[2], magic[3]);
  if (magic[0] != 0 || magic[1] != 0 || magic[3] < 1 || magic[3] > 8) {
    throw StoreError(file + ": not an IDX file (magic number " + hex + ", expected 0x0000TTDD" +
                     (gzip ? ", after gunzip" : "") + ")");
  }
  if (magic[2] != 0x08) {
    throw StoreError(file + ": IDX type 0x" + std::string(hex + 6, 2) +
                     " is not unsigned byte (0x08)");
  }
  IdxArray array;
  int64_t total = 1;
  for (int d = 0; d < magic[3]; ++d) {
    std::array<uint8_t, 4> b{};
    if (!read_exact(f.get(), b.data(), 4, file)) throw StoreError(file + ": truncated IDX header");
    const int64_t dim =
        (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | int64_t{b[3]};
    array.dims.push_back(dim);
    total *= dim;
    if (total > (int64_t{1} << 40))
      throw StoreError(file + ": IDX dimensions are implausibly large");
  }
  array.data.resize(static_cast<size_t>(total));
  if (!read_exact(f.get(), array.data.data(), array.data.size(), file)) {
    throw StoreError(file + ": truncated: the header promises " + std::to_string(total) +
                     " bytes of data");
  }
  return array;
}

void write_idx(const std::filesystem::path& path, const IdxArray& array, bool gzip) {
  const std::string file = path.string();
  GzFile f(gzopen(file.c_str(), gzip ? "wb6" : "wbT"));  // T: transparent (no compression)
  if (!f) throw StoreError(file + ": cannot create");
  std::vector<uint8_t> header{0, 0, 0x08, static_cast<uint8_t>(array.dims.size())};
  for (int64_t d : array.dims) {
    for (int shift = 24; shift >= 0; shift -= 8) header.push_back(static_cast<uint8_t>(d >> shift));
  }
  auto write = [&](const uint8_t* p, size_t n) {
    if (n > 0 && gzwrite(f.get(), p, static_cast<unsigned>(n)) != static_cast<int>(n)) {
      throw StoreError(file + ": write failed");
    }
  };
  write(header.data(), header.size());
  write(array.data.data(), array.data.size());
  if (gzclose(f.release()) != Z_OK) throw StoreError(file + ": close failed");
}

ImportStats prepare_idx(const std::filesystem::path& out, const IdxImportOptions& options,
                        const Provenance& provenance, const StoreWriterOptions& writer_options) {
  const IdxArray images = read_idx(options.images);
  const IdxArray labels = read_idx(options.labels);
  const std::string images_file = options.images.string(), labels_file = options.labels.string();
  if (images.dims.size() != 3 && images.dims.size() != 4) {
    throw StoreError(images_file +
                     ": expected images [n, height, width] or [n, height, width, channels], got " +
                     std::to_string(images.dims.size()) + " dimensions");
  }
  if (labels.dims.size() != 1)
    throw StoreError(labels_file + ": expected labels [n], got " +
                     std::to_string(labels.dims.size()) + " dimensions");
  const int64_t n = images.dims[0];
  if (labels.dims[0] != n) {
    throw StoreError(labels_file + ": has " + std::to_string(labels.dims[0]) + " labels but " +
                     images_file + " has " + std::to_string(n) + " images");
  }
  if (n == 0) throw StoreError(images_file + ": no images");
  const ImageShape shape{images.dims[1], images.dims[2],
                         images.dims.size() == 4 ? images.dims[3] : 1};
  const int64_t example_bytes = shape.height * shape.width * shape.channels;

  // Group examples by label, keeping file order inside a class.
  std::map<int, std::vector<int64_t>> by_label;
  for (int64_t i = 0; i < n; ++i) by_label[labels.data[static_cast<size_t>(i)]].push_back(i);
  if (!options.class_names.empty() &&
      static_cast<int>(options.class_names.size()) <= by_label.rbegin()->first) {
    throw StoreError(labels_file + ": label " + std::to_string(by_label.rbegin()->first) +
                     " has no name (" + std::to_string(options.class_names.size()) +
                     " class names given)");
  }
  std::string domain = options.domain_name;
  if (domain.empty()) {
    domain = options.images.filename().string();
    if (domain.size() > 3 && domain.substr(domain.size() - 3) == ".gz")
      domain.resize(domain.size() - 3);
  }

  const auto splits = assign_splits(static_cast<int64_t>(by_label.size()), options.fractions);
  StoreWriter writer(out, shape, provenance, writer_options);
  const int32_t d = writer.add_domain(domain, Split::train);
  ImportStats stats{1, 0, 0};
  std::vector<uint8_t> buffer;
  for (const auto& [label, indices] : by_label) {
    buffer.resize(indices.size() * static_cast<size_t>(example_bytes));
    for (size_t k = 0; k < indices.size(); ++k) {
      const auto* src = images.data.data() + indices[k] * example_bytes;
      std::copy(src, src + example_bytes, buffer.data() + k * static_cast<size_t>(example_bytes));
    }
    if (options.invert) {
      for (uint8_t& v : buffer) v = static_cast<uint8_t>(255 - v);
    }
    const std::string name = options.class_names.empty()
                                 ? std::to_string(label)
                                 : options.class_names[static_cast<size_t>(label)];
    writer.add_class(d, name, buffer.data(), static_cast<int64_t>(indices.size()),
                     splits[static_cast<size_t>(stats.classes)]);
    ++stats.classes;
    stats.examples += static_cast<int64_t>(indices.size());
  }
  writer.finish();
  return stats;
}

}  // namespace cz::data
