// Distinct draws by a partial Fisher-Yates shuffle, sparse or dense.
#include "DrawDistinct.hpp"

namespace cz::data::detail {
namespace {

// Above this many draws a dense index array beats the linear-probe swap list.
constexpr int64_t kSparseDrawLimit = 64;

}  // namespace

void draw_distinct(CounterRng& rng, int64_t n, int64_t m, int64_t* out,
                   std::vector<std::pair<int64_t, int64_t>>& swaps, std::vector<int64_t>& dense) {
  if (m > kSparseDrawLimit) {
    dense.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) dense[i] = i;
    for (int64_t i = 0; i < m; ++i) {
      const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - i)));
      std::swap(dense[i], dense[j]);
      out[i] = dense[i];
    }
    return;
  }
  swaps.clear();  // (position, value) of every position that no longer holds its own index
  auto value_at = [&](int64_t pos) {
    for (const auto& [p, v] : swaps)
      if (p == pos) return v;
    return pos;
  };
  for (int64_t i = 0; i < m; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - i)));
    const int64_t vj = value_at(j), vi = value_at(i);
    out[i] = vj;
    if (j == i) continue;  // position i is never read again
    bool found = false;
    for (auto& [p, v] : swaps)
      if (p == j) {
        v = vi;
        found = true;
        break;
      }
    if (!found) swaps.emplace_back(j, vi);
  }
}

}  // namespace cz::data::detail
