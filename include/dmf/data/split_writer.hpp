// Writes the subsets of a split as files in the input's own format: every
// kept line copied as it is, the header or MatrixMarket preamble repeated.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dmf/data/loader.hpp"
#include "dmf/data/split.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

/// Ratings written to each subset, indexed by Subset.
using SubsetCounts = std::array<std::uint64_t, 3>;

/// Collective. Reads this rank's byte range of the input again and copies
/// each line listed in `decisions` (from assign_subsets) into the file of its
/// subset; undecided lines are placed by random_subset. `paths` are indexed
/// by Subset; an empty path means that subset is not written (and must be
/// empty). Files appear atomically; existing files are refused unless
/// `overwrite`.
SubsetCounts write_split(const dist::Comm& comm, const RatingsData& data,
                         const LoadOptions& load, const std::vector<LineSubset>& decisions,
                         const SplitOptions& options, const std::array<std::string, 3>& paths,
                         bool overwrite);

}  // namespace dmf::data
