// Which global task indices of a meta-batch each rank owns, under the data module's name.
#pragma once

// One implementation serves training, the distributed runtime and the episode sampler:
// cz::owned_tasks in cezanne/dist/TaskPartition.hpp (contiguous blocks in rank order, the
// first meta_batch % world ranks one task more). A second copy could drift from it and then
// ranks would draw different tasks than the trainer assigns.
#include "cezanne/dist/TaskPartition.hpp"

namespace cz::data {

using cz::first_owned_task;
using cz::owned_tasks;

}  // namespace cz::data
