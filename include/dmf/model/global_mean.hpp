// μ, the mean of the training ratings (docs/design.md §2), bitwise the same for
// any number of ranks: every factor depends on it.
#pragma once

#include "dmf/data/sparse_block.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::model {

/// Collective: the mean of every rank's `ratings.values` (0 when empty).
[[nodiscard]] double global_mean(const dist::Comm& comm, const data::SparseBlock& ratings);

}  // namespace dmf::model
