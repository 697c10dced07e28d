// Routing ratings to the ranks that own their rows, and the error for pairs
// rated more than once: shared by load_ratings and merge_duplicate_pairs, so
// the training data and the sets that are scored follow one rule.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dmf/core/uninitialized.hpp"
#include "dmf/data/block_builder.hpp"
#include "dmf/data/id_directory.hpp"
#include "dmf/data/local_ratings.hpp"
#include "dmf/dist/comm.hpp"

namespace dmf::data {

/// Which side a block is built for.
enum class Side { kUsers, kItems };

/// Ratings a rank sends (and about as many it receives) per round by
/// default: 6 MB each way, whatever the file's size.
inline constexpr std::uint64_t kRoundRatings = std::uint64_t{1} << 19U;

/// What routing needs besides the ratings.
struct RouteOptions {
  DuplicatePolicy duplicates = DuplicatePolicy::kError;
  bool lines = false;  // carry LocalRatings::lines into the block (and duplicate examples)
  bool times = false;  // carry LocalRatings::times into the block
  // Both the same on every rank (a rank with no ratings has empty arrays,
  // yet joins the same exchanges).
  int threads = 1;
  std::uint64_t round_ratings = kRoundRatings;
  /// When set, called after each round with the fraction of the side's
  /// rounds done (LoadOptions::on_route_progress).
  std::function<void(double fraction)> on_round = nullptr;
};

/// Space kept from one side's routing to the next, so that the second side
/// reuses the first side's pages instead of faulting in new ones.
struct RouteBuffers {
  // Local ratings by (round, destination); with other ranks on 2 MiB pages
  // with room for two words a rating: the item side's send arrays
  // (transpose_block) after.
  UninitVector<std::uint32_t> order;
  std::vector<BlockEntry> send;
  std::vector<BlockEntry> received;
  std::vector<std::int64_t> send_times;
  std::vector<std::int64_t> received_times;
  std::vector<std::uint64_t> send_lines;
  std::vector<std::uint64_t> received_lines;
};

/// Collective. Builds this rank's block of `side` (rows of `directory`,
/// `owned_counts` ratings each over all ranks) from every rank's `local`
/// ratings (`user_rows`, `item_rows`: the global row of each local token).
/// Ratings travel in rounds, each covering a range of every owner's rows
/// holding about options.round_ratings ratings, so no rank ever holds more
/// than a round of them in flight; a row's ratings all come in one round,
/// in file order, which is the order build's duplicate policies follow.
[[nodiscard]] BlockBuildResult route_and_build(const dist::Comm& comm, const LocalRatings& local,
                                               Side side, std::span<const std::uint32_t> user_rows,
                                               std::span<const std::uint32_t> item_rows,
                                               const IdDirectory& directory,
                                               std::span<const std::uint64_t> owned_counts,
                                               const RouteOptions& options, RouteBuffers& buffers);

/// Collective. The item side's block from the user side's (`by_user`, built
/// by route_and_build): each entry goes from its user's owner to its item's
/// owner, into its row after the lower ranks' users (counts of each rank's
/// entries per row come first), already merged by the duplicates policy, so
/// nothing is sorted or merged again. One scan of by_user writes a rank's
/// own entries straight into its block and the others' into send arrays by
/// item row, as (user, value) only; each owner copies every source's run
/// of a row into place whole. The item block keeps by_user's times and
/// lines. `item_counts`: ratings of each owned item row before merging (a
/// bound: rows with merged pairs hold fewer). `buffers`: the user side's;
/// its order's pages hold the send arrays, the rest is freed first.
[[nodiscard]] SparseBlock transpose_block(const dist::Comm& comm, const SparseBlock& by_user,
                                          const IdDirectory& items,
                                          std::span<const std::uint64_t> item_counts,
                                          const RouteOptions& options, RouteBuffers& buffers);

/// Collective. Raises, on every rank, the error for `pairs` duplicated pairs
/// under DuplicatePolicy::kError, naming the earliest few and their lines
/// (`built` must have been built with lines; `names`: the read's, so that a
/// directory's lines are named by their part).
[[noreturn]] void raise_duplicates(const dist::Comm& comm, const IdDirectory& users,
                                   const IdDirectory& items, const std::string& path,
                                   const io::LineNames& names, const BlockBuildResult& built,
                                   std::uint64_t pairs);

}  // namespace dmf::data
