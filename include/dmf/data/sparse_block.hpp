// One rank's ratings of the rows it owns: a CSR of its users' ratings (rows =
// users, columns = items) or a CSC of its items' ratings (rows = items,
// columns = users). Indices are global canonical row numbers (docs/design.md §6).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/core/uninitialized.hpp"

namespace dmf::data {

struct SparseBlock {
  std::uint32_t first_row = 0;         // global index of local row 0
  std::vector<std::uint64_t> offsets;  // rows()+1 entries; row r is [offsets[r], offsets[r+1])
  // The per-rating arrays are sized and then filled (a read, a parallel
  // placement): resize leaves their new entries unwritten.
  UninitVector<std::uint32_t> columns;  // global index on the other side, ascending within a row
  UninitVector<float> values;           // the ratings
  UninitVector<std::int64_t> times;     // timestamps, when kept (LoadOptions::keep_time)
  std::vector<std::uint64_t> lines;     // source line numbers, when kept (LoadOptions::keep_lines)

  [[nodiscard]] std::uint32_t rows() const noexcept {
    return offsets.empty() ? 0 : static_cast<std::uint32_t>(offsets.size() - 1);
  }
  [[nodiscard]] std::uint64_t nnz() const noexcept { return columns.size(); }
  [[nodiscard]] std::uint64_t degree(std::uint32_t row) const {
    return offsets[row + 1] - offsets[row];
  }
  [[nodiscard]] std::span<const std::uint32_t> row_columns(std::uint32_t row) const {
    return std::span(columns).subspan(offsets[row], degree(row));
  }
  [[nodiscard]] std::span<const float> row_values(std::uint32_t row) const {
    return std::span(values).subspan(offsets[row], degree(row));
  }
  /// Per entry, its local row (the inverse of offsets).
  [[nodiscard]] std::vector<std::uint32_t> row_of_entries() const;
  /// Every entry's position, ordered by (column, position): the block read
  /// column by column.
  [[nodiscard]] std::vector<std::uint64_t> entries_by_column() const;
  /// Per local row, its number of entries.
  [[nodiscard]] std::vector<std::uint64_t> degrees() const;
  /// Bytes held by the arrays (capacity, not size).
  [[nodiscard]] std::uint64_t bytes() const noexcept;
};

}  // namespace dmf::data
