// Turns the ratings routed to a rank into its SparseBlock: grouped by row,
// sorted by column, duplicates resolved by policy (docs/design.md §3).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/data/duplicates.hpp"
#include "dmf/data/sparse_block.hpp"

namespace dmf::data {

/// What routing carries for one rating: all its owner needs to place it.
/// Timestamps and source lines, when kept, travel in arrays beside these.
struct BlockEntry {
  std::uint32_t row = 0;     // global row on the receiving side
  std::uint32_t column = 0;  // global index on the other side
  float value = 0.0F;
};
static_assert(sizeof(BlockEntry) == 12);

struct BlockBuildResult {
  SparseBlock block;
  std::uint64_t duplicate_pairs = 0;       // pairs (row, column) seen more than once
  std::uint64_t duplicate_ratings = 0;     // ratings merged away
  std::vector<DuplicateExample> examples;  // the earliest few, by line (only with lines)
};

/// Builds one block from entries that arrive in batches (the rounds of
/// routing), writing each straight into its row of the final arrays: the
/// only per-rating memory is the block itself. Each row's entries must
/// arrive in line order (routing sends a row's entries in one round, from
/// the ranks in order, each in file order); that order decides duplicates.
class BlockAssembler {
 public:
  /// Rows [first_row, first_row + counts.size()), row r to receive
  /// exactly counts[r] entries. `times`, `lines`: entries come with them.
  BlockAssembler(std::uint32_t first_row, std::span<const std::uint64_t> counts, bool times,
                 bool lines);

  /// Places a batch; `times` and `lines` are empty or one per entry. Throws
  /// (internal error) for an entry of another rank's row or a row that
  /// receives more than its count.
  void add(std::span<const BlockEntry> entries, std::span<const std::int64_t> times,
           std::span<const std::uint64_t> lines);

  /// Sorts every row by column and merges equal columns by `policy`, in
  /// arrival order (so every rank count gives the same result); under
  /// kError they are merged as kFirst and reported (examples need lines).
  /// The block keeps times and lines when they came with the entries.
  [[nodiscard]] BlockBuildResult finish(DuplicatePolicy policy, int threads);

 private:
  SparseBlock block_;
  std::vector<std::uint64_t> cursor_;  // next free position of each row
};

/// A rating with its line and timestamp slot: the input of build_block.
struct RoutedRating {
  std::uint64_t line = 0;
  std::uint32_t row = 0;
  std::uint32_t column = 0;
  float value = 0.0F;
  std::uint32_t time_slot = 0;  // index into `times`, when given
};

/// Builds the block of rows [first_row, first_row + rows) from `ratings` in
/// line order (BlockAssembler in one batch). `times`, when not empty, holds
/// each rating's timestamp at its time_slot. `keep_lines` keeps each entry's
/// line (the kept rating's; the first one's for mean and sum).
[[nodiscard]] BlockBuildResult build_block(std::uint32_t first_row, std::uint32_t rows,
                                           std::span<const RoutedRating> ratings,
                                           std::span<const std::int64_t> times,
                                           DuplicatePolicy policy, bool keep_lines, int threads);

}  // namespace dmf::data
