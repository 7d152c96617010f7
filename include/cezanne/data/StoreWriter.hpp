// Writes a store (manifest.h5 + shard-NNNNN.h5) class by class; see docs/store.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cezanne/data/Split.hpp"

namespace cz::data {

/// Examples are uint8 images [n, H, W, C].
struct ImageShape {
  int64_t height, width, channels;
};

/// Where a store came from; recorded as manifest attributes. The date is filled by the writer.
/// `inputs` lists what the examples were made from, one item per line (for glyphs: the
/// renderer's version, the font packages with their versions and every font file used).
struct Provenance {
  std::string source, command, code_version, inputs;
};

/// Pixel statistics of a store's examples as fractions of full scale (255): the mean of every
/// pixel, and the mean of each image's outer ring of pixels — the background of drawn
/// characters, near 0 for white ink on black and near 1 for black ink on white.
struct InkStats {
  double pixel_mean = 0;
  double border_mean = 0;
};

struct StoreWriterOptions {
  /// A shard is closed before the class that would take it past this size (a class never
  /// spans shards, so a class larger than this gets a shard of its own).
  int64_t target_shard_bytes = 64ll << 20;
  /// gzip level 1-9 for /examples, 0 = off.
  int compression = 0;
};

/// Builds a store in a temporary sibling directory `<out>.partial-<pid>`; `finish()` writes the
/// manifest, fsyncs and renames it to `out`, so a failed or interrupted prepare never leaves
/// a directory that looks like a complete store. The destructor of an unfinished writer
/// removes the temporary directory. All HDF5 calls run on the data module's I/O thread.
class StoreWriter {
 public:
  /// `out` must not exist (StoreError otherwise); its parent is created if needed.
  StoreWriter(std::filesystem::path out, ImageShape shape, Provenance provenance,
              StoreWriterOptions options = {});
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  /// Adds a domain (a family of classes: an alphabet, a source data set); returns its index.
  /// `split` is the split of its classes when the store is split by domain.
  int32_t add_domain(const std::string& name, Split split);
  /// Adds one class of `count` >= 1 examples (count*H*W*C bytes, contiguous, copied before
  /// returning). Classes are written in the order added; a class inherits its domain's split
  /// unless `split` is given (split by class). Returns the class index.
  int64_t add_class(int32_t domain, const std::string& name, const uint8_t* examples, int64_t count,
                    std::optional<Split> split = std::nullopt);
  /// Sets Provenance::inputs, for an importer that knows them only after opening its sources.
  void record_inputs(std::string inputs);
  /// Writes the last shard and the manifest (with the examples' SHA-256 and InkStats, computed
  /// as classes are added), fsyncs, and renames the temporary directory to `out`. Throws StoreError
  /// if no class was added. The writer is unusable afterwards.
  void finish();

  /// The temporary directory being written (exists until finish() or destruction).
  const std::filesystem::path& partial_path() const;
  int64_t num_classes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cz::data
