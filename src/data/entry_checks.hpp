// The checks of a data set block's entries, made as their bytes arrive
// (docs/design.md §3): each piece of an array is checked on the thread that
// read it, while it is still in cache, instead of in a second pass over the
// block.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "dmf/data/sparse_block.hpp"

namespace dmf::data {

/// Order-free sums of a block's row indices, wrapping modulo 2^64: the two
/// sides of a data set hold the same (user, item) pairs only if the user
/// side's rows sum as the item side's columns and the other way round.
struct BlockSums {
  std::uint64_t rows = 0;     // Σ global row × degree
  std::uint64_t columns = 0;  // Σ column
};

/// What the checks of a block found: the first entry at fault (`nnz()`
/// when none: a column at or past the limit, columns not ascending along a
/// row, or an entry whose row in `row_of` is not the one the offsets give),
/// and the block's sums (at fault or not).
struct BlockScan {
  std::uint64_t first_bad = 0;
  BlockSums sums;
};

/// Entries [first, last) of a block checked whole: the first at fault
/// among them (the block's nnz() when none) and the sum of their columns.
struct EntryChecksRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t first_bad = 0;
  std::uint64_t column_sum = 0;
};

/// The checks of one block whose offsets are known and whose columns (and
/// per-entry rows, `row_of`, when given) are being read. The readers report
/// each byte range of `columns` (`row_of`) that has arrived, from any
/// thread, in any order; ranges of one array do not overlap. Once every
/// byte has arrived, finish() checks what no range held whole (an entry cut
/// between two ranges, a row's entries on both sides of a cut) and gives
/// the result.
class EntryChecks {
 public:
  /// `block` with its offsets and its columns sized; columns must lie below
  /// `column_limit`.
  EntryChecks(const SparseBlock& block, std::uint32_t column_limit,
              std::span<const std::uint32_t> row_of);

  /// Bytes [begin, end) of the block's columns have arrived. Thread-safe.
  void columns_arrived(std::uint64_t begin, std::uint64_t end);
  /// Bytes [begin, end) of row_of have arrived. Thread-safe.
  void rows_arrived(std::uint64_t begin, std::uint64_t end);

  /// Every byte has arrived: the first entry at fault and the sums.
  [[nodiscard]] BlockScan finish();

 private:
  /// Checks entries [first, last) of the columns (their order within the
  /// range only).
  [[nodiscard]] EntryChecksRange check_columns(std::uint64_t first, std::uint64_t last) const;
  /// Checks entries [first, last) of row_of.
  [[nodiscard]] EntryChecksRange check_rows(std::uint64_t first, std::uint64_t last) const;

  const SparseBlock& block_;
  std::uint32_t column_limit_;
  std::span<const std::uint32_t> row_of_;
  std::mutex mutex_;  // guards the two lists
  std::vector<EntryChecksRange> columns_;
  std::vector<EntryChecksRange> rows_;
};

}  // namespace dmf::data
