// Turns the ratings routed to a rank into its SparseBlock: grouped by row,
// sorted by column, duplicates resolved by policy.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dmf/data/duplicates.hpp"
#include "dmf/data/sparse_block.hpp"

namespace dmf::data {

/// A rating on its way to an owner. `line` is the global source line: it
/// orders duplicates (first/last) and names them in messages.
struct RoutedRating {
  std::uint64_t line = 0;
  std::uint32_t row = 0;     // global row on the receiving side
  std::uint32_t column = 0;  // global index on the other side
  float value = 0.0F;
  std::uint32_t time_slot = 0;  // index into the routed times array, when kept
};

struct BlockBuildResult {
  SparseBlock block;
  std::uint64_t duplicate_pairs = 0;    // pairs (row, column) seen more than once
  std::uint64_t duplicate_ratings = 0;  // ratings merged away
  std::vector<DuplicateExample> examples;  // the earliest few, by line
};

/// Builds the block of rows [first_row, first_row + rows) from `ratings`.
/// `times`, when not empty, holds each rating's timestamp at its time_slot.
/// Within a row, entries are sorted by column; equal columns are merged by
/// `policy` in line order (so every rank count gives the same result).
/// Under kError the pairs are reported in the result (and merged as kFirst);
/// the caller raises the error. `keep_lines` keeps each entry's line (the
/// kept rating's; the first one's for mean and sum).
[[nodiscard]] BlockBuildResult build_block(std::uint32_t first_row, std::uint32_t rows,
                                           std::span<const RoutedRating> ratings,
                                           std::span<const std::int64_t> times,
                                           DuplicatePolicy policy, bool keep_lines, int threads);

}  // namespace dmf::data
