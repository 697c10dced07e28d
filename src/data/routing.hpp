// Routing ratings to the ranks that own their rows, and the error for pairs
// rated more than once: shared by load_ratings and merge_duplicate_pairs, so
// the training data and the sets that are scored follow one rule.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dmf/data/block_builder.hpp"
#include "dmf/data/id_directory.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

/// Which side a block is built for.
enum class Side { kUsers, kItems };

/// Collective. Sends every local rating to the owner of its row on `side`
/// (`user_rows`, `item_rows`: the global row of each local token); returns
/// what this rank receives, in source-rank order, which is file order.
/// `times` receives the routed timestamps when `local` keeps them.
[[nodiscard]] std::vector<RoutedRating> route(const dist::Comm& comm, const LocalRatings& local,
                                              Side side, std::span<const std::uint32_t> user_rows,
                                              std::span<const std::uint32_t> item_rows,
                                              const Ownership& ownership,
                                              std::vector<std::int64_t>& times);

/// Collective. Raises, on every rank, the error for `pairs` duplicated pairs
/// under DuplicatePolicy::kError, naming the earliest few and their lines.
[[noreturn]] void raise_duplicates(const dist::Comm& comm, const IdDirectory& users,
                                   const IdDirectory& items, const std::string& path,
                                   const BlockBuildResult& built, std::uint64_t pairs);

}  // namespace dmf::data
