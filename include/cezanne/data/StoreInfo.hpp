// Summaries of a store for `cezanne info STORE`: counts per split, shape, bytes, shards, checksums.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "cezanne/data/Store.hpp"

namespace cz::data {

struct SplitSummary {
  int64_t domains = 0, classes = 0, examples = 0;
};

struct StoreSummary {
  std::string path;
  ImageShape shape{};
  StoreMetadata metadata;
  std::array<SplitSummary, kNumSplits> splits{};  // indexed by Split
  int64_t domains = 0, classes = 0, examples = 0;
  int64_t example_bytes = 0;  // examples * H * W * C, uncompressed
  int64_t file_bytes = 0;     // manifest + shards on disk
  std::vector<ShardInfo> shards;
};

/// Counts of an open store (no example is read).
StoreSummary summarize(const Store& store);

/// The outcome of reading every dataset: ok, or the first error.
struct VerifyResult {
  bool ok = false;
  bool verified = false;  // checksums were read (not only the metadata)
  int64_t datasets = 0;
  std::string error;
};

/// Opens and verifies `dir` (Store::open then Store::verify); never throws StoreError.
/// `summary` is filled when the store opens.
VerifyResult inspect_store(const std::filesystem::path& dir, std::optional<StoreSummary>& summary,
                           bool verify);

/// A human table ("split  domains  classes  examples" ...), lines ending in '\n'.
std::string format_summary(const StoreSummary& summary, const VerifyResult* verify);
/// One JSON object (no trailing newline).
std::string summary_json(const std::optional<StoreSummary>& summary, const VerifyResult* verify);

}  // namespace cz::data
