// m distinct draws from [0, n), a pure function of a counter-based stream.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "cezanne/tensor/Random.hpp"

namespace cz::data::detail {

/// Writes m distinct values of [0, n) to `out`: the first m entries of a Fisher-Yates shuffle
/// of 0..n-1 (draw i swaps position i with i + below(n - i)). Small m keeps only the swapped
/// positions (`swaps`), large m a dense array (`dense`); both give the same values for the same
/// stream, so the choice is an implementation detail and never changes a draw. The two vectors
/// are the caller's scratch, so that drawing allocates nothing in steady state.
void draw_distinct(CounterRng& rng, int64_t n, int64_t m, int64_t* out,
                   std::vector<std::pair<int64_t, int64_t>>& swaps, std::vector<int64_t>& dense);

}  // namespace cz::data::detail
