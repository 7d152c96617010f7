// Reader of a store: manifest in memory, whole classes by hyperslab through an LRU cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cezanne/data/Split.hpp"
#include "cezanne/data/StoreWriter.hpp"

namespace cz::data {

struct DomainInfo {
  std::string name;
  Split split;
};

struct ClassInfo {
  std::string name;
  int32_t domain;
  Split split;
  int64_t num_examples;
  int32_t shard;
};

/// One shard file as the manifest records it.
struct ShardInfo {
  std::string name;     // "shard-00000.h5", relative to the store directory
  int64_t first_class;  // index of its first class
  int64_t num_classes;
  int64_t num_examples;
  int64_t bytes;  // file size on disk
};

/// Manifest attributes that describe where the store came from.
struct StoreMetadata {
  Provenance provenance;
  std::string created;   // ISO 8601 UTC
  std::string split_by;  // "domain" or "class"
  int64_t format_version = 0;
  int compression = 0;
  /// SHA-256 of every example's bytes in class order (`sha256sum` of the shards' /examples
  /// concatenated); empty for a store written before it was recorded.
  std::string examples_sha256;
  std::optional<InkStats> ink;  ///< absent likewise
  /// Random at prepare time, carried by the manifest and every shard (a shard of another store
  /// is refused at open); empty likewise.
  std::string store_id;
};

/// An open store. Open it after MPI start-up and never fork afterwards. Every HDF5 call runs
/// on the data module's single I/O thread; the public methods are thread-safe.
class Store {
 public:
  struct Options {
    size_t cache_bytes = 256ull << 20;
  };
  /// Reads the manifest (its attributes checked against attributes_sha256) and validates every
  /// shard it names (exists, size, store id, class count and offsets agree). Throws StoreError
  /// naming the file and object.
  static std::shared_ptr<Store> open(const std::filesystem::path& dir, Options options);
  static std::shared_ptr<Store> open(const std::filesystem::path& dir);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  ImageShape shape() const;
  const std::vector<DomainInfo>& domains() const;
  const std::vector<ClassInfo>& classes() const;
  const std::vector<ShardInfo>& shards() const;
  const StoreMetadata& metadata() const;
  std::vector<int64_t> classes_in(Split split) const;  // class indices, ascending
  std::vector<int64_t> classes_in(Split split, int32_t domain) const;
  std::vector<int32_t> domains_in(Split split) const;  // domains having >=1 class in split

  /// One whole class, uint8 [num_examples, H, W, C], read by one hyperslab through an LRU
  /// cache (a cached class is a hash lookup). Concurrent requests for the same cold class
  /// share one read. Throws StoreError on a bad index or a corrupt shard (checksum).
  std::shared_ptr<const std::vector<uint8_t>> read_class(int64_t class_index);

  /// Reads every dataset of every file (manifest and shards) past the cache, so that each
  /// Fletcher32 checksum is verified. Returns the number of datasets read; throws StoreError
  /// naming the first bad file and object.
  int64_t verify() const;

  /// Bytes held by the cache now.
  size_t cached_bytes() const;
  const std::filesystem::path& path() const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cz::data
