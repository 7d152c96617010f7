// A store of procedurally drawn classes, as large as asked: the store-at-scale benchmark's data.
#pragma once

#include <cstdint>
#include <filesystem>

#include "cezanne/data/Idx.hpp"
#include "cezanne/data/Split.hpp"
#include "cezanne/data/StoreWriter.hpp"

namespace cz::data {

struct SyntheticStoreOptions {
  int64_t classes = 1'000'000;
  int64_t examples = 4;  ///< per class
  int64_t size = 8;      ///< images size x size, one channel
  int64_t domains = 1000;  ///< domains of consecutive classes
  SplitFractions fractions;  ///< of classes (split by class)
};

/// Writes a store of `classes` classes of `examples` grey size x size images each, split by class,
/// in `domains` domains of consecutive classes ("domain-0000", ...; class c is in domain
/// c * domains / classes). Class c's examples are its template — a pattern of pixels on and off,
/// a pure function of (fractions.seed, c) — with a few pixels flipped per example, so classes are
/// distinct and examples of a class alike. Everything is a pure function of the options: the
/// same store, bit for bit, on every run. Throws StoreError (as the writer does) or
/// std::invalid_argument naming the option when a size is < 1 or domains > classes.
ImportStats prepare_synthetic(const std::filesystem::path& out, const SyntheticStoreOptions& options,
                              const Provenance& provenance, const StoreWriterOptions& writer_options = {});

}  // namespace cz::data
