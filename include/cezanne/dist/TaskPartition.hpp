// Which global task indices of a meta-batch each rank owns (the one copy used by dist and data).
#pragma once

#include <cstdint>
#include <vector>

namespace cz {

/// The global task indices of a meta-batch of `meta_batch` tasks that rank `rank` of `world`
/// owns: contiguous blocks in rank order, the first `meta_batch % world` ranks one task more
/// (a rank owns none when meta_batch < world). Concatenated over ranks 0..world-1 they give
/// 0..meta_batch-1, so with counter-based randomness keyed by the global index the same tasks
/// are drawn at any world size. Throws std::invalid_argument on world < 1, rank outside
/// [0, world) or meta_batch < 0.
std::vector<int64_t> owned_tasks(int64_t meta_batch, int rank, int world);

/// The first global index rank `rank` owns (= the number of tasks owned by lower ranks).
int64_t first_owned_task(int64_t meta_batch, int rank, int world);

}  // namespace cz
