// prepare synthetic: classes drawn from a counter-based generator, written class by class.
#include "cezanne/data/SyntheticStore.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "cezanne/tensor/Random.hpp"

namespace cz::data {
namespace {

constexpr uint64_t kTemplateStream = 0x53594E54ull;  // "SYNT"
constexpr int kFlipsPerExample = 3;

std::string numbered(const char* prefix, int64_t i, int digits) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%s-%0*lld", prefix, digits, static_cast<long long>(i));
  return buffer;
}

}  // namespace

ImportStats prepare_synthetic(const std::filesystem::path& out, const SyntheticStoreOptions& options,
                              const Provenance& provenance, const StoreWriterOptions& writer_options) {
  const auto positive = [](const char* name, int64_t value) {
    if (value < 1) throw std::invalid_argument(std::string("--") + name + " must be >= 1, got " + std::to_string(value));
  };
  positive("classes", options.classes);
  positive("examples", options.examples);
  positive("size", options.size);
  positive("domains", options.domains);
  if (options.domains > options.classes)
    throw std::invalid_argument("--domains " + std::to_string(options.domains) + " exceeds --classes " +
                                std::to_string(options.classes));
  const int64_t pixels = options.size * options.size;
  const auto splits = assign_splits(options.classes, options.fractions);
  StoreWriter writer(out, {options.size, options.size, 1}, provenance, writer_options);
  const int digits = static_cast<int>(std::to_string(std::max(options.classes, options.domains) - 1).size());
  for (int64_t d = 0; d < options.domains; ++d) writer.add_domain(numbered("domain", d, digits), Split::train);
  std::vector<uint8_t> examples(static_cast<size_t>(options.examples * pixels));
  for (int64_t c = 0; c < options.classes; ++c) {
    CounterRng rng(mix_key({options.fractions.seed, kTemplateStream, static_cast<uint64_t>(c)}));
    for (int64_t p = 0; p < pixels; ++p) examples[static_cast<size_t>(p)] = rng.next_u32() & 1 ? 255 : 0;
    for (int64_t e = 1; e < options.examples; ++e)
      std::copy_n(examples.begin(), pixels, examples.begin() + e * pixels);
    for (int64_t e = 0; e < options.examples; ++e)
      for (int f = 0; f < kFlipsPerExample; ++f) {
        uint8_t& v = examples[static_cast<size_t>(e * pixels + static_cast<int64_t>(rng.below(static_cast<uint64_t>(pixels))))];
        v = static_cast<uint8_t>(255 - v);
      }
    const auto domain = static_cast<int32_t>(c * options.domains / options.classes);
    writer.add_class(domain, numbered("class", c, digits), examples.data(), options.examples,
                     splits[static_cast<size_t>(c)]);
  }
  writer.finish();
  return {options.domains, options.classes, options.classes * options.examples};
}

}  // namespace cz::data
