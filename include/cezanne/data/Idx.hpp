// IDX files (the MNIST format: big-endian header, magic 0x0000TTDD) and the `prepare idx` importer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cezanne/data/Split.hpp"
#include "cezanne/data/StoreWriter.hpp"

namespace cz::data {

/// An IDX array of unsigned bytes (type code 0x08, the only one MNIST-style data uses).
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

/// Reads an IDX file, raw or gzip-compressed (detected by the magic 1f 8b). Throws StoreError
/// naming the file for a wrong magic number, a type other than uint8, or a truncated body.
IdxArray read_idx(const std::filesystem::path& file);

/// Writes a uint8 IDX file, gzip-compressed when `gzip` (used to make test fixtures).
void write_idx(const std::filesystem::path& file, const IdxArray& array, bool gzip);

struct IdxImportOptions {
  std::filesystem::path images, labels;  ///< [n, H, W] (or [n, H, W, C]) and [n]
  std::vector<std::string> class_names;  ///< name of label value v; empty: "0", "1", ...
  std::string domain_name;               ///< empty: the images file name without .gz
  SplitFractions fractions;              ///< of classes (an IDX pair is one domain)
  bool invert = false;
};

struct ImportStats {
  int64_t domains = 0, classes = 0, examples = 0;
};

/// Builds a store with one domain and one class per label value present (ascending),
/// split by class. Throws StoreError naming the file on bad input.
ImportStats prepare_idx(const std::filesystem::path& out, const IdxImportOptions& options,
                        const Provenance& provenance,
                        const StoreWriterOptions& writer_options = {});

}  // namespace cz::data
